"""Fetch-and-authorize for account resources."""

from __future__ import annotations

from community.accounts.models import ApiToken, User
from community.errors import Forbidden, NotFound
from community.extensions import db


def access_token_by_id(user: User, token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound()
    return token


def access_user_by_id(acting_user: User, user_id: int) -> User:
    """Admins manage any account; everyone else only sees that the id is unknown."""
    if not acting_user.is_admin:
        raise Forbidden()
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user
