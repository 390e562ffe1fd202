"""Keyword-only factories that write committed rows straight through the models."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from community.accounts.models import ApiToken, User
from community.accounts.passwords import hash_password
from community.database import utcnow
from community.extensions import db
from community.security import hash_token
from community.spaces.models import (
    Acceptance,
    Agreement,
    Anonymity,
    Membership,
    Role,
    Space,
)
from community.text import render_markdown

PASSWORD = "correct horse battery staple 42"
_seq = itertools.count(1)


def make_user(*, email: str | None = None, display_name: str | None = None,
              password: str = PASSWORD, is_admin: bool = False, **extra: Any) -> User:
    n = next(_seq)
    user = User(email=email or f"user{n}@example.org", display_name=display_name or f"User {n}",
                password_hash=hash_password(password), is_admin=is_admin, **extra)
    db.session.add(user)
    db.session.commit()
    return user


def make_token(*, user: User, name: str = "script") -> str:
    raw = f"cc_{secrets.token_urlsafe(32)}"
    db.session.add(ApiToken(user=user, name=name, token_hash=hash_token(raw), prefix=raw[:8]))
    db.session.commit()
    return raw


def make_agreement(*, space: Space | None = None, title: str = "How we treat each other",
                   body: str = "What is said here stays here.",
                   accepted_by: Iterable[User] = ()) -> Agreement:
    scope = Agreement.space_id == space.id if space else Agreement.space_id.is_(None)
    version = (db.session.scalar(db.select(db.func.max(Agreement.version)).where(scope)) or 0) + 1
    agreement = Agreement(space_id=space.id if space else None, version=version, title=title,
                          body_source=body, body_html=render_markdown(body))
    db.session.add(agreement)
    db.session.flush()
    for user in accepted_by:
        db.session.add(Acceptance(user_id=user.id, agreement_id=agreement.id))
    db.session.commit()
    return agreement


def site_agreement(*, accepted_by: Iterable[User] = ()) -> Agreement:
    """The current site agreement, published on first use; accepted by the given users."""
    current = db.session.scalar(db.select(Agreement).where(Agreement.space_id.is_(None))
                                .order_by(Agreement.version.desc()).limit(1))
    if current is None:
        return make_agreement(title="Site agreement", accepted_by=accepted_by)
    for user in accepted_by:
        if not db.session.scalar(db.select(Acceptance).filter_by(user_id=user.id,
                                                                 agreement_id=current.id)):
            db.session.add(Acceptance(user_id=user.id, agreement_id=current.id))
    db.session.commit()
    return current


def make_membership(*, space: Space, user: User, role: Role = Role.MEMBER,
                    pseudonym: str | None = None) -> Membership:
    membership = Membership(space=space, user=user, role=role, pseudonym=pseudonym,
                            pseudonym_key=pseudonym.casefold() if pseudonym else None)
    db.session.add(membership)
    db.session.commit()
    return membership


def make_space(*, name: str = "Career space", facilitators: Sequence[User] = (),
               members: Sequence[User | tuple[User, str]] = (),
               accepted_by: Sequence[User] = (), with_agreement: bool = True,
               **settings: Any) -> Space:
    """A space; everyone in it (and `accepted_by`) has accepted the current agreements."""
    n = next(_seq)
    settings.setdefault("anonymity", Anonymity.PSEUDONYMS_ALLOWED)
    space = Space(slug=f"space-{n}", name=name, purpose="Exploring careers together.", **settings)
    db.session.add(space)
    db.session.commit()
    people: list[User] = list(accepted_by)
    for user in facilitators:
        make_membership(space=space, user=user, role=Role.FACILITATOR)
        people.append(user)
    for entry in members:
        user, pseudonym = entry if isinstance(entry, tuple) else (entry, None)
        make_membership(space=space, user=user, pseudonym=pseudonym)
        people.append(user)
    site_agreement(accepted_by=people)
    if with_agreement:
        make_agreement(space=space, title=f"{name} agreement", accepted_by=people)
    return space


def expired(hours: int = 1):  # type: ignore[no-untyped-def]
    return utcnow() - timedelta(hours=hours)
