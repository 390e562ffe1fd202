"""Sanctions (warn, mute, remove, suspend), what the member is shown, and the
append-only moderation log with its filters and CSV export."""

from __future__ import annotations

from http import HTTPStatus

import pytest
import sqlalchemy as sa

from community.accounts.models import UserStatus
from community.admin.models import AuditEntry
from community.database import utcnow
from community.extensions import db
from community.moderation.models import AppendOnlyError, ModerationAction, Notice
from community.spaces.models import MembershipState, ModerationPolicy
from community.spaces.queries import get_membership
from tests.moderation.conftest import banner_for, events, item_of, log_actions, reply


@pytest.fixture
def item(space, thread, member):  # type: ignore[no-untyped-def]
    space.moderation_policy = ModerationPolicy.PRE
    db.session.commit()
    return item_of(reply(thread, member, "You are all useless"))


def test_muting_stops_posting_not_reading_and_tells_the_member_until_when(
        app, item, thread, member, facilitator, as_user):
    response = as_user(facilitator).post(f"/api/v1/queue/{item.id}/mute",
                                         json={"hours": 24, "reason": "Cool down"})
    assert response.status_code == HTTPStatus.OK
    until = response.get_json()["until"]
    membership = get_membership(member, thread.space_id)
    db.session.refresh(membership)
    assert membership.muted_until > utcnow()
    client = as_user(member)
    assert client.get(f"/api/v1/threads/{thread.id}/posts").status_code == HTTPStatus.OK
    refused = client.post(f"/api/v1/threads/{thread.id}/posts", json={"body": "Hello?"})
    assert refused.status_code == HTTPStatus.FORBIDDEN
    notice = db.session.scalar(sa.select(Notice).where(Notice.user_id == member.id))
    assert notice.kind == "mute" and notice.message == "Cool down"
    assert notice.until.isoformat()[:16] == until[:16]
    banner = banner_for(app, member)
    assert "You are muted until" in banner and "Cool down" in banner
    assert events("member.muted")[-1].audience == f"user:{member.id}"
    assert log_actions(action="mute") == ["mute"]
    assert db.session.scalar(sa.select(AuditEntry.action).where(
        AuditEntry.action == "membership:mute"))
    lifted = as_user(facilitator).delete(f"/api/v1/spaces/{thread.space_id}/members/"
                                         f"{member.id}/mute")
    assert lifted.status_code == HTTPStatus.OK
    db.session.refresh(membership)
    assert membership.muted_until is None


def test_mute_hours_are_validated(item, facilitator, as_user):
    for hours in (0, -1, 24 * 366):
        response = as_user(facilitator).post(f"/api/v1/queue/{item.id}/mute",
                                             json={"hours": hours, "reason": "x"})
        assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY


def test_warning_and_removal_from_an_item(item, member, facilitator, as_user, thread):
    warned = as_user(facilitator).post(f"/api/v1/queue/{item.id}/warn",
                                       json={"message": "Please be kind"})
    assert warned.status_code == HTTPStatus.OK
    removed = as_user(facilitator).post(f"/api/v1/queue/{item.id}/remove-member",
                                        json={"reason": "Repeated insults"})
    assert removed.status_code == HTTPStatus.OK
    membership = get_membership(member, thread.space_id)
    db.session.refresh(membership)
    assert membership.state == MembershipState.REMOVED
    kinds = list(db.session.scalars(sa.select(Notice.kind).where(Notice.user_id == member.id)
                                    .order_by(Notice.id)))
    assert kinds == ["warn", "removal"]
    assert log_actions(target_user_id=member.id)[-2:] == ["warn", "remove_member"]
    page = as_user(member).get("/moderation/notices")
    assert b"Repeated insults" in page.data and b"Please be kind" in page.data


def test_facilitators_cannot_be_sanctioned_from_the_queue(space, facilitator, as_user):
    response = as_user(facilitator).post(
        f"/api/v1/spaces/{space.id}/members/{facilitator.id}/mute",
        json={"hours": 1, "reason": "x"})
    assert response.status_code == HTTPStatus.FORBIDDEN


def test_only_admins_suspend_accounts_from_an_item(item, member, facilitator, admin, as_user):
    denied = as_user(facilitator).post(f"/api/v1/queue/{item.id}/suspend",
                                       json={"reason": "Threats"})
    assert denied.status_code == HTTPStatus.FORBIDDEN
    done = as_user(admin).post(f"/api/v1/queue/{item.id}/suspend", json={"reason": "Threats"})
    assert done.status_code == HTTPStatus.OK
    db.session.refresh(member)
    assert member.status == UserStatus.SUSPENDED and member.suspended_reason == "Threats"
    assert log_actions(action="suspend") == ["suspend"]


def test_the_log_is_append_only_through_the_orm(item):
    row = db.session.scalar(sa.select(ModerationAction).limit(1))
    row.reason = "rewritten"
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    row = db.session.scalar(sa.select(ModerationAction).limit(1))
    db.session.delete(row)
    with pytest.raises(AppendOnlyError):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(AppendOnlyError):
        db.session.execute(sa.update(ModerationAction).values(reason="x"))
    db.session.rollback()
    with pytest.raises(AppendOnlyError):
        db.session.execute(sa.delete(ModerationAction))
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ModerationAction)) == 1


def test_facilitators_and_admins_read_and_filter_the_log(
        item, space, facilitator, admin, member, as_user):
    client = as_user(facilitator)
    client.post(f"/api/v1/queue/{item.id}/claim", json={"version": item.version})
    rows = client.get(f"/api/v1/spaces/{space.id}/moderation-log").get_json()["items"]
    assert [r["action"] for r in rows] == ["claim", "hold"]
    assert rows[0]["actor"] == "Frida Facilitator"
    only = client.get(f"/api/v1/spaces/{space.id}/moderation-log?action=hold").get_json()
    assert [r["action"] for r in only["items"]] == ["hold"]
    page = client.get(f"/spaces/{space.id}/moderation-log?action=claim")
    assert page.status_code == HTTPStatus.OK and b"claim" in page.data
    everything = as_user(admin).get("/api/v1/moderation-log").get_json()["items"]
    assert len(everything) == 2
    assert as_user(admin).get("/moderation/log").status_code == HTTPStatus.OK


def test_only_admins_export_the_log_as_csv_and_formulas_are_defused(
        item, facilitator, admin, as_user):
    as_user(facilitator).post(f"/api/v1/queue/{item.id}/reject",
                              json={"version": item.version, "reason": "=HYPERLINK(\"x\")"})
    assert as_user(facilitator).get("/moderation/log.csv").status_code == HTTPStatus.FORBIDDEN
    response = as_user(admin).get("/moderation/log.csv")
    assert response.status_code == HTTPStatus.OK
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.splitlines()[0].startswith("id,created_at,space_id,action")
    assert "reject" in text and "'=HYPERLINK" in text
