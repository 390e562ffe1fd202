"""Spaces, who belongs to them, and the confidentiality agreements they accept."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from community.accounts.models import User
from community.database import utcnow
from community.extensions import db


def str_enum(cls: type[enum.StrEnum], length: int = 24) -> sa.Enum:
    """Store an enum by its value, as a plain string column with no CHECK."""
    return sa.Enum(cls, native_enum=False, create_constraint=False, length=length,
                   values_callable=lambda e: [m.value for m in e])


class JoinPolicy(enum.StrEnum):
    INVITE = "invite"
    REQUEST = "request"


class Anonymity(enum.StrEnum):
    REAL_NAMES = "real_names"
    PSEUDONYMS_ALLOWED = "pseudonyms_allowed"
    PSEUDONYMS_REQUIRED = "pseudonyms_required"


class ModerationPolicy(enum.StrEnum):
    POST = "post"
    NEW_MEMBERS = "new_members"
    PRE = "pre"


class Role(enum.StrEnum):
    MEMBER = "member"
    FACILITATOR = "facilitator"


class MembershipState(enum.StrEnum):
    ACTIVE = "active"
    REMOVED = "removed"
    LEFT = "left"


class JoinRequestState(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class Space(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "spaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    purpose: Mapped[str] = mapped_column(sa.Text, default="")
    join_policy: Mapped[JoinPolicy] = mapped_column(str_enum(JoinPolicy), default=JoinPolicy.INVITE)
    anonymity: Mapped[Anonymity] = mapped_column(
        str_enum(Anonymity), default=Anonymity.PSEUDONYMS_ALLOWED)
    moderation_policy: Mapped[ModerationPolicy] = mapped_column(
        str_enum(ModerationPolicy), default=ModerationPolicy.POST)
    retention_days: Mapped[int | None]  # None: keep
    archived_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(back_populates="space")


class Membership(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "memberships"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "space_id"),
        # Compared case-folded so that "Kim" and "kim" cannot both exist in a space.
        sa.UniqueConstraint("space_id", "pseudonym_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    space_id: Mapped[int] = mapped_column(sa.ForeignKey("spaces.id", ondelete="CASCADE"),
                                          index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role), default=Role.MEMBER)
    state: Mapped[MembershipState] = mapped_column(
        str_enum(MembershipState), default=MembershipState.ACTIVE)
    pseudonym: Mapped[str | None] = mapped_column(sa.String(40))
    pseudonym_key: Mapped[str | None] = mapped_column(sa.String(40))
    muted_until: Mapped[datetime | None]
    # Whether peers see this member in a space's "who is here" list (realtime presence).
    show_presence: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
    space: Mapped[Space] = relationship(back_populates="memberships")

    @property
    def is_active(self) -> bool:
        return self.state == MembershipState.ACTIVE

    @property
    def is_facilitator(self) -> bool:
        return self.is_active and self.role == Role.FACILITATOR


class Invitation(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(sa.ForeignKey("spaces.id", ondelete="CASCADE"),
                                          index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role), default=Role.MEMBER)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    max_uses: Mapped[int] = mapped_column(default=1)
    uses: Mapped[int] = mapped_column(default=0)
    revoked_at: Mapped[datetime | None]

    space: Mapped[Space] = relationship()


class JoinRequest(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "join_requests"
    __table_args__ = (sa.UniqueConstraint("space_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(sa.ForeignKey("spaces.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    pseudonym: Mapped[str | None] = mapped_column(sa.String(40))
    message: Mapped[str] = mapped_column(sa.String(1000), default="")
    state: Mapped[JoinRequestState] = mapped_column(
        str_enum(JoinRequestState), default=JoinRequestState.PENDING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    space: Mapped[Space] = relationship()


class Agreement(db.Model):  # type: ignore[name-defined,misc]
    """One published version of the site agreement (space_id null) or a space's."""

    __tablename__ = "agreements"
    __table_args__ = (
        sa.UniqueConstraint("space_id", "version", postgresql_nulls_not_distinct=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("spaces.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(200))
    body_source: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"))


class Acceptance(db.Model):  # type: ignore[name-defined,misc]
    """Kept as long as the user exists: proof of what they agreed to and when."""

    __tablename__ = "acceptances"
    __table_args__ = (sa.UniqueConstraint("user_id", "agreement_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    agreement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agreements.id", ondelete="CASCADE"), index=True)
    accepted_at: Mapped[datetime] = mapped_column(default=utcnow)

    agreement: Mapped[Agreement] = relationship()
