"""First browser journey: a teacher signs up and creates a class, a student
joins with the code; axe-core checks every page on the way."""

from __future__ import annotations

import re

from tests.browser.conftest import assert_accessible


def test_teacher_signs_up_creates_class_and_student_joins(live_server, browser):
    base = live_server.url
    teacher_ctx = browser.new_context()
    teacher = teacher_ctx.new_page()
    teacher.set_default_timeout(10_000)
    teacher.goto(base + "/")
    assert_accessible(teacher)
    teacher.get_by_role("link", name="Create a teacher account").first.click()
    assert_accessible(teacher)
    teacher.get_by_label("Your name as students see it").fill("Ms. Rivera")
    teacher.get_by_label("Username").fill("rivera")
    teacher.locator("#f-password").fill("correct horse battery")
    teacher.get_by_label("Repeat the password").fill("correct horse battery")
    teacher.get_by_role("button", name="Create account").click()
    teacher.wait_for_url(re.compile(r"/classes$"))
    assert_accessible(teacher)
    teacher.get_by_label("Class name").fill("Period 3 Civics")
    teacher.get_by_role("button", name="Create class").click()
    teacher.wait_for_url(re.compile(r"/classes/\d+$"))
    assert_accessible(teacher)
    code = teacher.locator("#join-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{3}-[A-Z0-9]{3}", code)

    student_ctx = browser.new_context()
    student = student_ctx.new_page()
    student.set_default_timeout(10_000)
    student.goto(base + "/join")
    assert_accessible(student)
    student.get_by_label("Join code").fill(code.lower())
    student.get_by_label("Your name").fill("Ana R.")
    student.get_by_label("Choose a username").fill("anar27")
    student.get_by_label("Choose a password").fill("maple-river-42")
    student.get_by_role("button", name="Join").click()
    student.wait_for_url(base + "/")
    assert "Period 3 Civics" in student.content()
    assert_accessible(student)

    teacher.reload()
    assert "Ana R." in teacher.locator("table").first.inner_text()
    teacher_ctx.close()
    student_ctx.close()


def test_sign_in_page_keyboard_only(live_server, page):
    """The sign-in form works with the keyboard alone and shows errors accessibly."""
    page.goto(live_server.url + "/login")
    assert_accessible(page)
    page.keyboard.press("Tab")  # skip link first
    assert page.evaluate("document.activeElement.textContent").strip() == "Skip to content"
    page.get_by_label("Username").focus()
    page.keyboard.type("nobody")
    page.keyboard.press("Tab")
    page.keyboard.type("wrong password")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    alert = page.get_by_role("alert")
    assert "do not match an account" in alert.inner_text()
    assert_accessible(page)


def test_error_pages_are_accessible(live_server, page):
    response = page.goto(live_server.url + "/nowhere")
    assert response.status == 404
    assert "Page not found" in page.content()
    assert_accessible(page)
