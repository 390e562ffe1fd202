"""The audit log: newest first, filtered by action, actor, space and day, page by page."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

from community.admin.models import AuditEntry
from community.database import utcnow
from community.extensions import db


def entry(action: str, *, actor_id: int | None = None, space_id: int | None = None,
          days_ago: int = 0) -> AuditEntry:
    row = AuditEntry(action=action, actor_id=actor_id, target_type="user", target_id=1,
                     space_id=space_id, data={"note": "test"},
                     created_at=utcnow() - timedelta(days=days_ago))
    db.session.add(row)
    db.session.commit()
    return row


def test_the_audit_api_filters_and_pages_newest_first(as_user, admin):
    old = entry("user:suspend", actor_id=admin.id, days_ago=10)
    mid = entry("agreement:publish", actor_id=7, space_id=3, days_ago=2)
    new = entry("user:suspend", actor_id=admin.id)
    client = as_user(admin)

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/v1/admin/audit{query}")
        assert response.status_code == HTTPStatus.OK, response.json
        return [e["id"] for e in response.json["items"]]

    assert ids("") == [new.id, mid.id, old.id]
    assert ids("?action=user:suspend") == [new.id, old.id]
    assert ids(f"?actor_id={admin.id}") == [new.id, old.id]
    assert ids("?space_id=3") == [mid.id]
    today = utcnow().date()
    assert ids(f"?since={today - timedelta(days=3)}") == [new.id, mid.id]
    assert ids(f"?until={today - timedelta(days=1)}") == [mid.id, old.id]
    assert ids(f"?since={today}&until={today}") == [new.id]
    first = client.get("/api/v1/admin/audit?limit=2").json
    assert [e["id"] for e in first["items"]] == [new.id, mid.id]
    rest = client.get(f"/api/v1/admin/audit?limit=2&cursor={first['next_cursor']}").json
    assert [e["id"] for e in rest["items"]] == [old.id] and rest["next_cursor"] is None
    assert rest["items"][0]["data"] == {"note": "test"}


def test_bad_audit_filters_are_named(as_user, admin):
    client = as_user(admin)
    for query, field in (("?action=nope", "action"), ("?actor_id=abc", "actor_id"),
                         ("?since=yesterday", "since"),
                         ("?since=2025-02-02&until=2025-01-01", "until")):
        response = client.get(f"/api/v1/admin/audit{query}")
        assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY, query
        assert field in response.json["error"]["fields"], query
    page = client.get("/admin/audit?actor_id=abc")
    assert page.status_code == HTTPStatus.BAD_REQUEST and 'id="actor_id-error"' in page.text


def test_the_audit_page_shows_filtered_entries_and_links_older_ones(as_user, admin):
    for _ in range(51):
        entry("user:unsuspend", actor_id=admin.id)
    entry("space:create", actor_id=admin.id, space_id=5)
    client = as_user(admin)
    page = client.get("/admin/audit?action=user:unsuspend")
    assert page.status_code == HTTPStatus.OK
    assert page.text.count("<code>user:unsuspend</code>") == 50
    assert "space:create</code>" not in page.text
    older = page.text.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    rest = client.get(older.replace("&amp;", "&"))
    assert rest.text.count("<code>user:unsuspend</code>") == 1
    assert "Ada Admin" in rest.text


def test_actions_write_audit_rows_the_admin_can_read(as_user, space, admin, facilitator, member):
    as_user(facilitator).post(f"/api/v1/spaces/{space.id}/agreement",
                              json={"title": "Second", "body": "Text"})
    as_user(admin).post(f"/api/v1/admin/users/{member.id}/suspend", json={"reason": "Spam"})
    items = as_user(admin).get("/api/v1/admin/audit").json["items"]
    assert [(i["action"], i["actor_id"]) for i in items[:2]] == [
        ("user:suspend", admin.id), ("agreement:publish", facilitator.id)]
    assert items[1]["space_id"] == space.id
    dashboard = as_user(admin).get("/admin/")
    assert "user:suspend" in dashboard.text and "Frida Facilitator" in dashboard.text
