"""`community purge`: post text older than a space's retention period goes, tombstones stay."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import sqlalchemy as sa

from community.admin.models import AuditEntry
from community.cli import cli
from community.database import utcnow
from community.extensions import db
from community.forums import actions as forum_actions
from community.forums.access import Reader
from community.forums.models import Post, PostRevision, PostState, RemovedBy, Thread
from community.forums.search import search_posts
from community.realtime.models import Event
from community.spaces.queries import get_membership
from tests import factories


def write(space, user, body: str, *, days_ago: int, title: str | None = None):  # type: ignore[no-untyped-def]
    """A post (a thread when `title`) created `days_ago` days ago, edited once."""
    membership = get_membership(user, space.id)
    if title:
        thread, post = forum_actions.check_create_thread(space, membership, title=title, body=body)
    else:
        thread = db.session.scalar(sa.select(Thread).where(Thread.space_id == space.id))
        post = forum_actions.check_create_post(thread, membership, body=body)
    db.session.commit()
    forum_actions.check_edit_post(post, membership, body=body + " (edited)")
    post.created_at = utcnow() - timedelta(days=days_ago)
    db.session.commit()
    return post


def run_purge(app):  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(cli, ["purge"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


def test_purge_removes_old_text_everywhere_leaves_tombstones_and_is_idempotent(
        app, space, member, other_member, as_user):
    space.retention_days = 30
    db.session.commit()
    old = write(space, member, "Secret plan zucchini", days_ago=40, title="Zucchini thread")
    recent = write(space, other_member, "Fresh reply aubergine", days_ago=5)

    output = run_purge(app)

    assert f"space {space.id}: 1 post(s) purged" in output
    gone = db.session.get(Post, old.id)
    assert (gone.source, gone.body_html, gone.state) == ("", "", PostState.REMOVED)
    assert gone.removed_by == RemovedBy.RETENTION and gone.state_reason == "Removed after 30 days."
    assert db.session.scalar(sa.select(sa.func.count(PostRevision.id))
                             .where(PostRevision.post_id == old.id)) == 0
    assert db.session.get(Thread, old.thread_id).title != "Zucchini thread"
    kept = db.session.get(Post, recent.id)
    assert kept.source.startswith("Fresh reply") and kept.state == PostState.PUBLISHED
    reader = Reader(space, get_membership(member, space.id))
    assert search_posts(reader, "zucchini")[0] == []
    assert [p.id for p in search_posts(reader, "aubergine")[0]] == [recent.id]
    events = db.session.scalars(sa.select(Event).where(Event.subject == f"post:{old.id}")).all()
    assert events and all("zucchini" not in str(e.data).lower() for e in events)
    page = as_user(member).get(f"/api/v1/threads/{old.thread_id}/posts")
    assert page.status_code == HTTPStatus.OK and "zucchini" not in page.get_data(as_text=True)
    html = as_user(other_member).get(f"/threads/{old.thread_id}").get_data(as_text=True)
    assert "Removed at the end of the retention period." in html
    [audit] = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "retention:purge")).all()
    assert audit.actor_id is None and audit.data["posts"] == 1
    assert audit.data["revisions"] == 1 and audit.data["spaces"] == {str(space.id): 1}

    again = run_purge(app)
    assert "purged 0 post(s)" in again
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
        AuditEntry.action == "retention:purge")) == 1


def test_spaces_that_keep_posts_are_untouched_unless_the_site_maximum_is_lower(
        app, space, member, admin, as_user):
    old = write(space, member, "Kept for ever", days_ago=400, title="Old thread")
    run_purge(app)
    assert db.session.get(Post, old.id).source.startswith("Kept for ever")
    as_user(admin).patch("/api/v1/admin/settings", json={"max_retention_days": 365,
                                                         "default_retention_days": 365})
    run_purge(app)
    post = db.session.get(Post, old.id)
    assert post.source == "" and post.state_reason == "Removed after 365 days."


def test_purge_prunes_events_too_old_to_replay(app, space, member):
    write(space, member, "Hello", days_ago=1, title="Hello there")
    db.session.execute(sa.update(Event).values(created_at=utcnow() - timedelta(days=30)))
    db.session.commit()
    output = run_purge(app)
    assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 0
    assert "pruned" in output and "pruned 0 live" not in output


def test_purge_works_in_batches(app, space, member, monkeypatch):
    from community.privacy import retention

    monkeypatch.setattr(retention, "BATCH", 2)
    space.retention_days = 1
    db.session.commit()
    posts = [write(space, member, f"Post {n}", days_ago=3, title=f"Thread {n}") for n in range(5)]
    run_purge(app)
    assert all(db.session.get(Post, p.id).source == "" for p in posts)


def test_a_factory_space_has_no_retention_by_default(app):
    assert factories.make_space(name="Plain").retention_days is None
