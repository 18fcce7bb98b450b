"""Sign-up, sign-in, sign-out, password and language."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from matchmaker import vocab
from matchmaker.extensions import db, limiter
from matchmaker.i18n import gettext as _
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.services.accounts import users
from matchmaker.services.errors import ServiceError
from matchmaker.web.forms import MultiCheckboxField, show_refusal, vocab_choices
from matchmaker.web.redirects import redirect_next, safe_next

bp = Blueprint("auth", __name__, url_prefix="/auth")
# Pages put their own address in the language form's ``next``: the same check, so a 1 MB query
# string is not echoed into every page.
bp.add_app_template_filter(safe_next, "safe_next")


class RegisterForm(FlaskForm):
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(min=users.MIN_PASSWORD_LENGTH)]
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    roles = MultiCheckboxField(_l("I am a"), validators=[DataRequired()])
    locale = RadioField(_l("Language"), default="zh_CN")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.roles.choices = [
            c for c in vocab_choices(vocab.ROLES) if c[0] in users.SELF_SERVICE_ROLES
        ]
        self.locale.choices = [("zh_CN", "简体中文"), ("en", "English")]


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email()])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=users.MIN_PASSWORD_LENGTH)]
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))],
    )


@bp.route("/register", methods=["GET", "POST"])
def register() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = users.register_user(
                db.session,
                email=form.email.data or "",
                password=form.password.data or "",
                display_name=form.display_name.data or "",
                locale=form.locale.data or "zh_CN",
                roles=form.roles.data or [],
            )
        except ServiceError as exc:
            show_refusal(form, exc)
        else:
            login_user(user)
            flash(_("Welcome to Matchmaker! Complete your profile to get matches."), "success")
            return redirect(url_for("profiles.onboarding"))
    return render_template("auth/register.html", form=form)


def _account_key() -> str:
    # Per account, from every address: a botnet spreading guesses for one account over many
    # addresses still gets LOGIN_RATE_LIMIT guesses in all.
    email = users.normalise_email(request.form.get("email") or "")[:254]
    return f"account:{email}" if email else f"address:{get_remote_address()}"


def _address_key() -> str:
    # Per address, over every account: password spraying (one address, one common password,
    # a hundred accounts) is throttled although no single account sees many attempts.
    return f"address:{get_remote_address()}"


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def _login_address_limit() -> str:
    return str(current_app.config["LOGIN_IP_RATE_LIMIT"])


# Every attempt counts (not only failures): counting after the password check would let
# concurrent attempts all pass the check before any is counted. The counters are shared by all
# workers (matchmaker/ratelimit.py), and each hit is atomic, so at most the limit gets through.
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_address_limit, methods=["POST"], key_func=_address_key)
@limiter.limit(_login_limit, methods=["POST"], key_func=_account_key)
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect_next()
    form = LoginForm()
    if form.validate_on_submit():
        user = users.authenticate(db.session, form.email.data or "", form.password.data or "")
        if user is None:
            refusal = users.sign_in_refusal(
                db.session, form.email.data or "", form.password.data or ""
            )
            flash(str(refusal), "danger")
        else:
            session.pop("locale", None)
            login_user(user)
            return redirect_next()
    # Only a next that would be followed is put back into the form (never a 1 MB one).
    next_path = safe_next(request.args.get("next")) or ""
    return render_template("auth/login.html", form=form, next=next_path)


@bp.post("/logout")
@login_required
def logout() -> Response:
    # Rotate the session version first: clearing this browser's cookie alone would leave a
    # copied cookie (or a remember-me cookie) valid.
    users.sign_out(db.session, current_user._get_current_object())
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password() -> str | Response:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            users.change_password(
                db.session,
                current_user,
                form.current_password.data or "",
                form.new_password.data or "",
            )
        except ServiceError as exc:
            form.current_password.errors = [*form.current_password.errors, str(exc.message)]
        else:
            # Re-issue this browser's cookie with the new session version; others are now stale.
            login_user(current_user._get_current_object())
            flash(_("Your password has been changed. Other devices are signed out."), "success")
            return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form)


@bp.post("/language")
def set_language() -> Response:
    """Switch language; remembered on the account when signed in, else in the session."""
    locale = request.form.get("locale", "")
    if locale in vocab.UI_LOCALES:
        session["locale"] = locale
        if current_user.is_authenticated:
            users.set_locale(db.session, current_user, locale)
    return redirect_next()
