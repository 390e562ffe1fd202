"""Audit action names and the one function that writes audit rows."""

from __future__ import annotations

import enum
from typing import Any

from community import appendonly
from community.admin.models import AuditEntry
from community.database import utcnow


class AuditAction(enum.StrEnum):
    USER_SIGNUP = "user:signup"
    USER_SUSPEND = "user:suspend"
    USER_UNSUSPEND = "user:unsuspend"
    USER_MAKE_ADMIN = "user:make_admin"
    SPACE_CREATE = "space:create"
    SPACE_UPDATE = "space:update"
    MEMBER_ROLE = "membership:role"
    MEMBER_REMOVE = "membership:remove"
    MEMBER_JOIN = "membership:join"
    MEMBER_LEAVE = "membership:leave"
    INVITATION_CREATE = "invitation:create"
    INVITATION_REVOKE = "invitation:revoke"
    JOIN_REQUEST_DECIDE = "join_request:decide"
    AGREEMENT_PUBLISH = "agreement:publish"
    THREAD_UPDATE = "thread:update"
    POST_EDIT = "post:edit"
    POST_REMOVE = "post:remove"
    REVIEW_CLAIM = "review:claim"
    REVIEW_RESOLVE = "review:resolve"
    MEMBER_WARN = "membership:warn"
    MEMBER_MUTE = "membership:mute"
    WATCHED_WORD = "watched_word:change"
    SAFEGUARDING = "safeguarding:change"
    MODERATION_SETTINGS = "space:moderation"
    SITE_SETTINGS = "site:settings"
    IDENTITY_REVEAL = "identity:reveal"
    RETENTION_PURGE = "retention:purge"
    USER_EXPORT = "user:export"
    USER_ERASE = "user:erase"
    ACTIVITY_CREATE = "activity:create"
    ACTIVITY_UPDATE = "activity:update"
    ANNOUNCEMENT_CREATE = "announcement:create"
    LIVE_SESSION_CREATE = "live_session:create"
    LIVE_SESSION_DELETE = "live_session:delete"
    RESOURCE_ADD = "resource:add"
    RESOURCE_DECIDE = "resource:decide"
    RESOURCE_UPDATE = "resource:update"
    RESOURCE_CHECK = "resource:check"
    POST_WHISPER = "post:whisper"
    MEMBER_NOTE_ADD = "member_note:add"
    MEMBER_NOTE_DELETE = "member_note:delete"
    THREAD_SLOW_MODE = "thread:slow_mode"
    THREAD_TIMER_SET = "thread_timer:set"
    THREAD_TIMER_CANCEL = "thread_timer:cancel"
    THREAD_TIMER_RUN = "thread_timer:run"
    SPACE_ARCHIVE = "space:archive"


# Core rather than the unit of work (whose flush of the object cost several times the
# INSERT): nothing reads an audit row back in the transaction that writes it.
_TABLE = AuditEntry.__table__


def record(action: AuditAction, *, actor_id: int | None, target_type: str,
           target_id: int | None, space_id: int | None = None, **data: Any) -> None:
    """Write an audit row in the current transaction (it commits or rolls back with the
    change it records): at once, or at the end of `appendonly.together`."""
    appendonly.append(_TABLE, {
        "actor_id": actor_id, "action": str(action), "target_type": target_type,
        "target_id": target_id, "space_id": space_id, "data": data, "created_at": utcnow()})
