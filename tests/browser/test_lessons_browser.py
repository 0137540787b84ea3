"""axe-core over the public lesson library: catalogue, every lesson page, the guide."""

from __future__ import annotations

from conftest import ROOT
from debatekit.lessons import LessonLibrary
from tests.browser.conftest import assert_accessible


def test_library_pages_are_accessible(live_server, page):
    page.goto(live_server.url + "/lessons")
    assert_accessible(page)
    page.goto(live_server.url + "/guide")
    assert_accessible(page)
    for lesson in LessonLibrary(ROOT / "lessons").available():
        page.goto(f"{live_server.url}/lessons/{lesson.slug}")
        assert lesson.title in page.title()
        assert_accessible(page)


def test_citation_links_jump_to_the_source_list(live_server, page):
    page.goto(live_server.url + "/lessons/what-is-sovereignty")
    first = page.locator("sup.cite a").first
    target = first.get_attribute("href")
    first.click()
    assert page.evaluate("location.hash") == target
    assert page.locator(target).is_visible()
