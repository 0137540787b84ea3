"""Flask plumbing shared by every blueprint: sign-in, CSRF, security headers,
error pages, and the form helpers that make sure no typed text is lost."""

from __future__ import annotations

import hmac
from functools import wraps

from flask import (
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import LoginManager, UserMixin, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from .db import get_db
from .services import ServiceError
from .services import accounts

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.session_protection = "strong"
login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.login_message_category = "info"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# Fields never echoed back into a page.
SECRET_FIELDS = {"password", "password_confirm", "current_password", "new_password", "csrf_token"}


class LoginUser(UserMixin):
    """flask-login's view of a user. The cookie carries id and session token,
    so rotating the token (sign-out, password change) ends every old session."""

    def __init__(self, user: accounts.User):
        self.user = user
        self.id = user.id
        self.username = user.username
        self.display_name = user.display_name
        self.role = user.role

    def get_id(self) -> str:
        return f"{self.user.id}:{self.user.session_token}"

    @property
    def is_teacher(self) -> bool:
        return self.user.is_teacher

    @property
    def is_student(self) -> bool:
        return self.user.is_student


@login_manager.user_loader
def load_user(cookie_value: str):
    user_id, _, token = (cookie_value or "").partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = accounts.get_user(get_db(), int(user_id))
    if user is None or not hmac.compare_digest(user.session_token, token):
        return None
    return LoginUser(user)


@login_manager.unauthorized_handler
def unauthorized():
    if wants_json():
        return jsonify(error="signed_out", message="You are signed out. Sign in again to keep saving."), 401
    flash(login_manager.login_message, "info")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def wants_json() -> bool:
    if request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def require_role(role: str):
    """A blueprint's before_request: anonymous users are sent to sign in,
    signed-in users of the other role get a plain 404 (the page 'does not exist' for them)."""

    def check():
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        if current_user.role != role:
            return not_found()
        return None

    return check


def role_required(*roles: str):
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if current_user.role not in roles:
                return not_found()
            return view(*args, **kwargs)

        return wrapped

    return decorator


def form_submitted() -> bool:
    """True for a POST whose CSRF token was valid. When the token had expired
    the CSRF handler calls the view again and this returns False, so the view
    renders its form with the user's text instead of acting on it."""
    return request.method == "POST" and not g.get("csrf_failed", False)


def typed_values() -> dict[str, str]:
    """What the user typed in the current form, minus secrets, for re-display."""
    return {k: v for k, v in request.form.items() if k not in SECRET_FIELDS}


def render_form(template: str, *, error: ServiceError | str | None = None, status: int | None = None, **context):
    if isinstance(error, ServiceError):
        context.setdefault("error_field", error.field)
        status = status or error.status
        error = error.message
    if g.get("csrf_failed"):
        status = 400
    elif error and status is None:
        status = 400
    context.setdefault("values", typed_values())
    return render_template(template, error=error, **context), status or 200


def client_address() -> str:
    return request.remote_addr or "unknown"


def not_found():
    return render_error(404, "Page not found", "There is nothing here, or you do not have access to it.")


def render_error(status: int, title: str, message: str, **context):
    if wants_json():
        return jsonify(error=title, message=message, **context), status
    return render_template("errors/error.html", status=status, title=title, message=message, **context), status


# Views that can re-render themselves with the typed text after a CSRF failure.
_RERENDER_ON_CSRF: set[str] = set()
# ... and those among them that anonymous visitors use (sign-in, sign-up, join).
_PUBLIC_FORMS: set[str] = set()


def keeps_form(endpoint: str, public: bool = False) -> None:
    _RERENDER_ON_CSRF.add(endpoint)
    if public:
        _PUBLIC_FORMS.add(endpoint)


def handle_csrf_error(error: CSRFError):
    g.csrf_failed = True
    if wants_json() or request.headers.get("X-CSRFToken") is not None:
        if not current_user.is_authenticated:
            return jsonify(error="signed_out", message="You are signed out. Sign in again to keep saving."), 401
        return jsonify(error="csrf", message="This page is out of date. Reload it; your text is kept."), 400
    flash(
        "This form had expired, so nothing was saved yet. We kept what you typed: check it and send it again.",
        "warning",
    )
    endpoint = request.endpoint
    if endpoint in _RERENDER_ON_CSRF and (endpoint in _PUBLIC_FORMS or current_user.is_authenticated):
        # The view is called directly, so first run what Flask would have run before it:
        # the blueprint's role check (a student must not get a teacher's form back).
        for name in request.blueprints:
            for check in current_app.before_request_funcs.get(name, ()):
                refused = check()
                if refused is not None:
                    return refused
        view = current_app.view_functions[endpoint]
        try:
            response = current_app.make_response(view(**(request.view_args or {})))
        except HTTPException as refused:
            # The view's loader refused the object (404): answer that, not a 500.
            return current_app.handle_http_exception(refused)
        if response.status_code < 400:  # a refusal (404 for the wrong role) keeps its status
            response.status_code = 400
        return response
    # Fallback: show every typed field on a page with a fresh form to send it again.
    fields = [(k, v) for k, v in request.form.items(multi=True) if k not in SECRET_FIELDS]
    return (
        render_template(
            "errors/form_kept.html",
            fields=fields,
            action=request.path,
            signed_in=current_user.is_authenticated,
        ),
        400,
    )


def set_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.endpoint != "static" and current_user and current_user.is_authenticated:
        # Shared school laptops: the back button after sign-out must not show a student's page.
        response.headers["Cache-Control"] = "no-store"
    return response


def ordinal(n) -> str:
    if not isinstance(n, int):
        return ""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def init_app(app) -> None:
    from .timezones import format_local

    app.jinja_env.filters["localtime"] = format_local
    app.jinja_env.filters["ordinal"] = ordinal
    app.jinja_env.globals["has_endpoint"] = lambda name: name in app.view_functions
    csrf.init_app(app)
    login_manager.init_app(app)
    app.after_request(set_security_headers)
    app.register_error_handler(CSRFError, handle_csrf_error)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        titles = {
            400: ("Something in the request was not right", error.description),
            403: ("Not allowed", "You do not have access to this page."),
            404: ("Page not found", "There is nothing here, or you do not have access to it."),
            405: ("Not allowed", "That page cannot be used that way."),
            413: (
                "That was too much text",
                "What you sent is larger than the kit accepts (about 500 kB). "
                "Nothing was lost: go back, shorten it, and send it again.",
            ),
            429: ("Too many requests", "Please wait a moment and try again."),
        }
        title, message = titles.get(error.code, (error.name, error.description))
        fields = []
        if request.method == "POST" and error.code != 413:
            try:
                fields = [(k, v) for k, v in request.form.items(multi=True) if k not in SECRET_FIELDS]
            except Exception:  # a malformed body must still get a clean page
                fields = []
        return render_error(error.code or 500, title, message, fields=fields)

    @app.errorhandler(ServiceError)
    def service_error(error: ServiceError):
        return render_error(error.status, "That did not work", error.message)

    if app.testing:
        return  # let tests see the real exception instead of a friendly page

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        # Log the failure without request bodies: they may hold a student's text.
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return render_error(500, "Something went wrong on our side", "The kit hit an error. Your text was not lost: go back and try again.")
