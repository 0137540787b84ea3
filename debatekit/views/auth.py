"""Sign-up, sign-in, sign-out, joining a class, and the account page."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, jsonify, redirect, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..db import get_db
from ..services import ServiceError, accounts, classes, privacy
from ..web import LoginUser, client_address, form_submitted, keeps_form, render_form

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str | None:
    """Accept only a path on this site: '/classes/3', never '//evil', '/\\evil' or 'https://evil'."""
    if not target:
        return None
    target = target.strip()
    if any(ch in target for ch in "\\\r\n\t\x00") or not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _sign_in(user: accounts.User) -> None:
    session.clear()  # a fresh session: nothing from before sign-in carries over
    session.permanent = True
    login_user(LoginUser(user))


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    mode = current_app.config["SIGNUP_MODE"]
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    if mode == "closed":
        return render_form("auth/signup_closed.html", status=403)
    error = None
    if form_submitted():
        try:
            if mode == "invite" and request.form.get("invite_code", "").strip() != current_app.config["SIGNUP_INVITE_CODE"]:
                raise ServiceError("That invite code is not right. Ask whoever runs this kit for the code.", field="invite_code")
            accounts.check_new_password(request.form.get("password", ""), request.form.get("password_confirm", ""))
            user = accounts.create_user(
                get_db(),
                username=request.form.get("username", ""),
                display_name=request.form.get("display_name", ""),
                password=request.form.get("password", ""),
                role="teacher",
            )
        except ServiceError as exc:
            error = exc
        else:
            _sign_in(user)
            flash(f"Welcome, {user.display_name}. Start by creating a class.", "success")
            return redirect(url_for("classes.index"))
    return render_form("auth/signup.html", error=error, invite_required=(mode == "invite"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = safe_next(request.values.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_url or url_for("main.index"))
    error = None
    if form_submitted():
        config = current_app.config
        try:
            user = accounts.authenticate(
                get_db(),
                request.form.get("username", ""),
                request.form.get("password", ""),
                client_address(),
                window_minutes=int(config["LOGIN_FAILURE_WINDOW_MINUTES"]),
                per_account=int(config["LOGIN_FAILURES_PER_ACCOUNT"]),
                per_address=int(config["LOGIN_FAILURES_PER_ADDRESS"]),
            )
        except ServiceError as exc:
            error = exc
        else:
            _sign_in(user)
            return redirect(next_url or url_for("main.index"))
    return render_form("auth/login.html", error=error, next_url=next_url)


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        accounts.rotate_session_token(get_db(), current_user.id)
        logout_user()
    session.clear()
    flash("You are signed out. On a shared computer, close the browser too.", "info")
    return redirect(url_for("main.index"))


@bp.route("/join", methods=["GET", "POST"])
def join():
    if current_user.is_authenticated and current_user.is_teacher:
        return render_form("auth/join.html", error="You are signed in as a teacher. Students join with the code; teachers add students from the class page.", status=403)
    error = None
    if form_submitted():
        db = get_db()
        code = request.form.get("join_code", "")
        window = int(current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"])
        try:
            classes.check_join_throttle(db, client_address(), window_minutes=window,
                                        per_address=int(current_app.config["JOIN_FAILURES_PER_ADDRESS"]))
            if current_user.is_authenticated:
                joined = classes.join_class(db, code, current_user.id)
            else:
                user, joined = classes.join_as_new_student(
                    db,
                    code,
                    display_name=request.form.get("display_name", ""),
                    username=request.form.get("username", ""),
                    password=request.form.get("password", ""),
                )
                _sign_in(user)
        except ServiceError as exc:
            if exc.field == "join_code":
                classes.record_wrong_join_code(db, client_address(), window_minutes=window)
            error = exc
        else:
            flash(f"You joined {joined['name']}.", "success")
            return redirect(url_for("main.index"))
    values = None
    if request.method == "GET" and request.args.get("code"):
        values = {"join_code": request.args["code"]}
    return render_form("auth/join.html", error=error, **({"values": values} if values else {}))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    error = None
    if form_submitted():
        try:
            accounts.change_password(
                get_db(),
                current_user.id,
                request.form.get("current_password", ""),
                request.form.get("new_password", ""),
                request.form.get("password_confirm", ""),
            )
        except ServiceError as exc:
            error = exc
        else:
            # Every other signed-in browser is now signed out; keep this one.
            _sign_in(accounts.get_user(get_db(), current_user.id))
            flash("Your password is changed. Other devices have been signed out.", "success")
            return redirect(url_for("auth.account"))
    return render_form("auth/account.html", error=error)


@bp.route("/account/my-data.json")
@login_required
def my_data():
    """A student downloads everything the kit stores about them."""
    if not current_user.is_student:
        return redirect(url_for("auth.account"))
    response = jsonify(privacy.export_student(get_db(), current_user.id))
    response.headers["Content-Disposition"] = f'attachment; filename="my-data-{current_user.username}.json"'
    return response


for _endpoint in ("auth.signup", "auth.login", "auth.join"):
    keeps_form(_endpoint, public=True)
keeps_form("auth.account")
