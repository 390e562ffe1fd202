"""A member's own data as a zip: data.json and a readable, self-contained index.html.

What is in it and why is documented in docs/privacy.md. Other features add what they
hold about a member by registering a section here, so that the export stays complete
without this module knowing them:

    from community.privacy.export import register_export_section

    @register_export_section("facilitator_notes")
    def _notes(user: User) -> list[dict]:
        ...  # JSON-able; shown in index.html as a table or a list

The rule for facilitators' private notes about a member (GDPR art. 15: the right of
access covers personal data *about* the data subject, not only what they wrote): they
are included, marked as facilitator notes, with the note text and when it was written,
but without naming the facilitator who wrote it (art. 15(4): the rights of others).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import render_template

from community.accounts.models import ApiToken, User
from community.admin.audit import AuditAction, record
from community.admin.settings import get_site_settings
from community.database import utcnow
from community.extensions import db
from community.forums.models import Notification, Post, PostRevision, PostState, Thread
from community.forums.queries import author_view
from community.moderation.models import Flag
from community.privacy.models import EmailPreference
from community.spaces.models import Acceptance, Agreement, JoinRequest, Membership, Space

Section = Callable[[User], Any]
export_sections: dict[str, Section] = {}
SECTION_TITLES: dict[str, str] = {}


def register_export_section(name: str, title: str | None = None) -> Callable[[Section], Section]:
    """Add a section `name` to every export: the function gets the user, returns JSON-able
    data (usually a list of dicts). `title` heads it in index.html."""
    def wrap(function: Section) -> Section:
        export_sections[name] = function
        SECTION_TITLES[name] = title or name.replace("_", " ").capitalize()
        return function
    return wrap


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "value") and not isinstance(value, (int, str)):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _rows(query: sa.Select, fields: tuple[str, ...]) -> list[dict[str, Any]]:  # type: ignore[type-arg]
    return [{f: _plain(getattr(row, f)) for f in fields} for row in db.session.scalars(query)]


def _memberships(user: User) -> list[Membership]:
    return list(db.session.scalars(sa.select(Membership).where(Membership.user_id == user.id)
                                   .order_by(Membership.id)))


def collect(user: User) -> dict[str, Any]:
    """Everything the export holds, as JSON-able data."""
    memberships = _memberships(user)
    membership_ids = [m.id for m in memberships]
    posts = list(db.session.scalars(sa.select(Post).where(Post.author_id.in_(membership_ids))
                                    .order_by(Post.id))) if membership_ids else []
    post_ids = [p.id for p in posts]
    data: dict[str, Any] = {
        "exported_at": utcnow().isoformat(),
        "profile": {f: _plain(getattr(user, f)) for f in (
            "id", "email", "display_name", "locale", "is_admin", "status", "created_at")},
        "memberships": [{
            "space_id": m.space_id, "space_name": m.space.name, "role": m.role.value,
            "state": m.state.value, "pseudonym": m.pseudonym, "joined_at": _plain(m.joined_at),
            "ended_at": _plain(m.ended_at)} for m in memberships],
        "posts": [{
            "id": p.id, "space_id": p.space_id, "thread_id": p.thread_id,
            "thread_title": p.thread.title, "state": p.state.value,
            "removed_by": p.removed_by.value if p.removed_by else None,
            "source": p.source, "body_html": p.body_html, "created_at": _plain(p.created_at),
            "edited_at": _plain(p.edited_at)} for p in posts],
        "revisions": _rows(sa.select(PostRevision).where(PostRevision.post_id.in_(post_ids))
                           .order_by(PostRevision.id),
                           ("post_id", "source", "written_at", "replaced_at", "reason")),
        "flags": _rows(sa.select(Flag).where(Flag.user_id == user.id).order_by(Flag.id),
                       ("post_id", "space_id", "reason", "note", "created_at")),
        "agreements_accepted": [{
            "agreement_id": a.agreement_id, "space_id": a.agreement.space_id,
            "version": a.agreement.version, "title": a.agreement.title,
            "accepted_at": _plain(a.accepted_at)} for a in db.session.scalars(
                sa.select(Acceptance).join(Agreement).where(Acceptance.user_id == user.id)
                .order_by(Acceptance.accepted_at, Acceptance.id))],
        "notifications": _rows(sa.select(Notification).where(Notification.user_id == user.id)
                               .order_by(Notification.id),
                               ("kind", "space_id", "post_id", "created_at", "read_at")),
        "join_requests": _rows(sa.select(JoinRequest).where(JoinRequest.user_id == user.id),
                               ("space_id", "pseudonym", "message", "state", "created_at")),
        "api_tokens": _rows(sa.select(ApiToken).where(ApiToken.user_id == user.id),
                            ("name", "prefix", "created_at", "revoked_at")),
        "email_preferences": _rows(
            sa.select(EmailPreference).where(EmailPreference.user_id == user.id),
            ("mentions", "replies", "queue", "digest", "last_digest_at")),
    }
    if get_site_settings().export_threads:
        data["threads"] = _threads(post_ids, set(post_ids))
    for name, section in export_sections.items():
        data[name] = _plain(section(user))
    return data


def _threads(post_ids: list[int], own: set[int]) -> list[dict[str, Any]]:
    """The threads the member wrote in, with the other posts as peers see them: published
    only, authors by their shown name (pseudonyms), never anyone's account name."""
    thread_ids = sorted(set(db.session.scalars(
        sa.select(Post.thread_id).where(Post.id.in_(post_ids))))) if post_ids else []
    result = []
    for thread in db.session.scalars(sa.select(Thread).where(Thread.id.in_(thread_ids))
                                     .order_by(Thread.id)):
        others = db.session.scalars(sa.select(Post).where(
            Post.thread_id == thread.id, Post.state == PostState.PUBLISHED,
            Post.id.not_in(own)).order_by(Post.id))
        result.append({"thread_id": thread.id, "title": thread.title,
                       "space_id": thread.space_id, "posts": [{
                           "id": p.id, "author": author_view(p.author)["name"],
                           "body_html": p.body_html, "created_at": _plain(p.created_at)}
                           for p in others]})
    return result


def build_zip(data: dict[str, Any]) -> bytes:
    spaces = {s.id: s.name for s in db.session.scalars(sa.select(Space))}
    html = render_template("privacy/export.html", data=data, spaces=spaces,
                           extra=[(SECTION_TITLES.get(n, n), data.get(n))
                                  for n in export_sections])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", json.dumps(data, indent=2, ensure_ascii=False))
        archive.writestr("index.html", html)
    return out.getvalue()


def check_export(user: User) -> bytes:
    """The member's zip. Audited as user:export (the member is actor and target).
    Not idempotent: each download is recorded."""
    data = collect(user)
    record(AuditAction.USER_EXPORT, actor_id=user.id, target_type="user", target_id=user.id,
           posts=len(data["posts"]), threads_included="threads" in data)
    return build_zip(data)
