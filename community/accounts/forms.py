"""Forms for signing up, signing in and managing one's own account."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from community.accounts.passwords import MAX_LENGTH
from community.forms import Form, choices

LANGUAGES = choices([("", _l("Same as my browser")), ("en", "English"), ("da", "Dansk"),
                     ("nb", "Norsk bokmål"), ("nn", "Norsk nynorsk")])


class SignInForm(Form):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    remember = BooleanField(_l("Keep me signed in on this device"))


class SignUpForm(Form):
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=80)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])


class ProfileForm(Form):
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=80)])
    locale = SelectField(_l("Language"), choices=LANGUAGES)


class PasswordForm(Form):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"),
                                 validators=[DataRequired(), Length(max=MAX_LENGTH)])


class TokenForm(Form):
    name = StringField(_l("What is this token for?"), validators=[DataRequired(), Length(max=80)])


class ConfirmForm(Form):
    """A form with nothing but its CSRF token, for one-button actions."""
