"""Reads about accounts."""

from __future__ import annotations

import sqlalchemy as sa

from community.accounts.models import ApiToken, User
from community.extensions import db


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


def list_tokens(user: User) -> list[ApiToken]:
    return list(db.session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc())))
