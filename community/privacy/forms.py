"""Forms for deleting one's account and choosing e-mails."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired, Length

from community.accounts.passwords import MAX_LENGTH
from community.forms import Form


class EraseForm(Form):
    password = PasswordField(_l("Your password"),
                             validators=[DataRequired(), Length(max=MAX_LENGTH)])
    delete_posts = BooleanField(_l("Also delete the text of everything I wrote"))
    confirm = BooleanField(_l("I understand that this cannot be undone"),
                           validators=[DataRequired()])


class EmailPreferencesForm(Form):
    mentions = BooleanField(_l("When someone mentions me"))
    replies = BooleanField(_l("When someone replies in a thread I took part in"))
    queue = BooleanField(_l("When posts wait for review in a space I facilitate"))
    digest = BooleanField(_l("A weekly digest of the spaces with something new"))
