"""The audit log of admin-level and facilitator changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from community.database import utcnow
from community.extensions import db


class AuditEntry(db.Model):  # type: ignore[name-defined,misc]
    """Append-only: rows are inserted by audit.record() and never updated."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Plain integers, no foreign keys: an erased user's entries keep only the id.
    actor_id: Mapped[int | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    target_type: Mapped[str] = mapped_column(sa.String(32))
    target_id: Mapped[int | None]
    space_id: Mapped[int | None] = mapped_column(index=True)
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class SiteSettings(db.Model):  # type: ignore[name-defined,misc]
    """The site's confidentiality rules: one row (id 1), made on the first save.

    Until an admin saves, community.admin.settings.get_site_settings() answers the
    defaults below (and COMMUNITY_SIGNUP for `signup`).
    """

    __tablename__ = "site_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    # An Anonymity value (community.spaces.models), stored as text to keep admin free of spaces.
    default_anonymity: Mapped[str] = mapped_column(sa.String(24), default="pseudonyms_allowed")
    # May facilitators look up (audited) who is behind a pseudonym?
    facilitators_see_identity: Mapped[bool] = mapped_column(default=False)
    default_retention_days: Mapped[int | None]  # None: keep
    max_retention_days: Mapped[int | None]  # None: no maximum
    # May a member's export include the other posts of the threads they took part in?
    export_threads: Mapped[bool] = mapped_column(default=False)
    signup: Mapped[str | None] = mapped_column(sa.String(16))  # open / invite; None: config
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None]
