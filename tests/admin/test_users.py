"""Admins list and search users, suspend and unsuspend them, and give or take admin rights."""

from __future__ import annotations

from http import HTTPStatus

from community.accounts.models import User, UserStatus
from community.admin.models import AuditEntry
from community.extensions import db
from tests.factories import make_user


def audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == action)))


def fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def test_the_user_list_searches_email_and_name_and_pages(as_user, space, admin):
    for n in range(3):
        make_user(email=f"percent{n}@example.org", display_name=f"100% Person {n}")
    client = as_user(admin)
    found = client.get("/api/v1/admin/users?q=MADS").json["items"]
    assert [u["display_name"] for u in found] == ["Mads Member"]
    by_name = client.get("/api/v1/admin/users?q=olga oth").json["items"]
    assert [u["email"] for u in by_name] == ["olga@example.org"]
    assert len(client.get("/api/v1/admin/users?q=100%").json["items"]) == 3
    assert client.get("/api/v1/admin/users?q=_").json["items"] == []  # no wildcard
    first = client.get("/api/v1/admin/users?limit=4").json
    rest = client.get(f"/api/v1/admin/users?limit=4&cursor={first['next_cursor']}").json
    ids = [u["id"] for u in first["items"] + rest["items"]]
    assert len(ids) == len(set(ids)) == 7 and rest["next_cursor"] is None
    page = client.get("/admin/users?q=mads")
    assert "Mads Member" in page.text and "Olga Other" not in page.text
    paged = client.get("/admin/users?cursor=bogus")
    assert paged.status_code == HTTPStatus.OK


def test_the_user_page_lists_memberships_and_status(as_user, space, admin, member):
    page = as_user(admin).get(f"/admin/users/{member.id}")
    assert "Next steps" in page.text and "Robin" in page.text and "Active" in page.text
    body = as_user(admin).get(f"/api/v1/admin/users/{member.id}").json
    assert body["memberships"] == [{"space_id": space.id, "space_name": "Next steps",
                                    "role": "member", "state": "active", "pseudonym": "Robin"}]
    assert as_user(admin).get("/api/v1/admin/users/99999").status_code == HTTPStatus.NOT_FOUND
    assert as_user(admin).get("/admin/users/99999").status_code == HTTPStatus.NOT_FOUND


def test_suspending_through_the_page_is_audited(as_user, space, admin, member):
    client = as_user(admin)
    response = client.post(f"/admin/users/{member.id}/suspend",
                           data={"reason": "Shared a screenshot of the group"})
    assert response.status_code == HTTPStatus.FOUND
    user = fresh(member)
    assert user.status == UserStatus.SUSPENDED
    assert user.suspended_reason == "Shared a screenshot of the group"
    [entry] = audit("user:suspend")
    assert (entry.actor_id, entry.target_id) == (admin.id, member.id)
    assert "Lift the suspension" in client.get(f"/admin/users/{member.id}").text
    assert client.post(f"/admin/users/{member.id}/unsuspend").status_code == HTTPStatus.FOUND
    assert fresh(member).status == UserStatus.ACTIVE
    assert [e.target_id for e in audit("user:unsuspend")] == [member.id]


def test_a_suspension_needs_a_reason_shown_next_to_the_field(as_user, space, admin, member):
    response = as_user(admin).post(f"/admin/users/{member.id}/suspend", data={"reason": "   "})
    assert response.status_code in (HTTPStatus.BAD_REQUEST, HTTPStatus.UNPROCESSABLE_ENTITY)
    assert 'id="reason-error"' in response.text
    assert fresh(member).status == UserStatus.ACTIVE
    assert audit("user:suspend") == []
    api = as_user(admin).post(f"/api/v1/admin/users/{member.id}/suspend", json={"reason": "  "})
    assert api.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "reason" in api.json["error"]["fields"]
    too_long = as_user(admin).post(f"/api/v1/admin/users/{member.id}/suspend",
                                   json={"reason": "x" * 501})
    assert too_long.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert fresh(member).status == UserStatus.ACTIVE


def test_admins_cannot_suspend_themselves(as_user, admin):
    response = as_user(admin).post(f"/api/v1/admin/users/{admin.id}/suspend",
                                   json={"reason": "oops"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    page = as_user(admin).post(f"/admin/users/{admin.id}/suspend", data={"reason": "oops"})
    assert page.status_code == HTTPStatus.FORBIDDEN
    assert fresh(admin).status == UserStatus.ACTIVE


def test_suspending_through_the_api_answers_with_the_user(as_user, space, admin, member):
    response = as_user(admin).post(f"/api/v1/admin/users/{member.id}/suspend",
                                   json={"reason": "Repeated harassment"})
    assert response.status_code == HTTPStatus.OK
    assert response.json["status"] == "suspended"
    assert response.json["suspended_reason"] == "Repeated harassment"
    again = as_user(admin).post(f"/api/v1/admin/users/{member.id}/suspend",
                                json={"reason": "twice"})
    assert again.status_code == HTTPStatus.OK and len(audit("user:suspend")) == 1
    lifted = as_user(admin).post(f"/api/v1/admin/users/{member.id}/unsuspend")
    assert lifted.status_code == HTTPStatus.OK and lifted.json["status"] == "active"
    missing = as_user(admin).post("/api/v1/admin/users/99999/suspend", json={"reason": "x"})
    assert missing.status_code == HTTPStatus.NOT_FOUND


def test_admin_rights_are_given_and_taken_and_audited(as_user, space, admin, facilitator):
    client = as_user(admin)
    assert client.post(f"/admin/users/{facilitator.id}/admin",
                       data={"is_admin": "1"}).status_code == HTTPStatus.FOUND
    assert fresh(facilitator).is_admin
    assert as_user(facilitator).get("/admin/").status_code == HTTPStatus.OK
    response = client.put(f"/api/v1/admin/users/{facilitator.id}/admin", json={"is_admin": False})
    assert response.status_code == HTTPStatus.OK and response.json["is_admin"] is False
    assert [e.data["is_admin"] for e in audit("user:make_admin")] == [True, False]
    bad = client.post(f"/admin/users/{facilitator.id}/admin", data={"is_admin": "maybe"})
    assert bad.status_code == HTTPStatus.BAD_REQUEST
    assert client.put(f"/api/v1/admin/users/{admin.id}/admin",
                      json={"is_admin": False}).status_code == HTTPStatus.FORBIDDEN
    assert fresh(admin).is_admin and not fresh(facilitator).is_admin
