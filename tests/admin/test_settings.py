"""Site settings: admins change them (audited); sign-up, new spaces, retention and the
roster's identity rule follow them."""

from __future__ import annotations

import csv
import io
from http import HTTPStatus

import sqlalchemy as sa

from community.admin.models import AuditEntry
from community.extensions import db
from community.spaces.models import Space


def audit_rows(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


def test_admins_read_and_change_the_settings_through_the_api_audited(app, as_user, admin):
    client = as_user(admin)
    assert client.get("/api/v1/admin/settings").json["signup"] == "open"
    response = client.patch("/api/v1/admin/settings", json={
        "facilitators_see_identity": True, "max_retention_days": 365,
        "default_retention_days": 180, "signup": "invite"})
    assert response.status_code == HTTPStatus.OK, response.json
    assert response.json["max_retention_days"] == 365 and response.json["signup"] == "invite"
    [row] = audit_rows("site:settings")
    assert row.actor_id == admin.id
    assert row.data["changes"]["max_retention_days"] == {"from": None, "to": 365}
    again = client.patch("/api/v1/admin/settings", json={"signup": "invite"})
    assert again.status_code == HTTPStatus.OK and len(audit_rows("site:settings")) == 1


def test_a_default_retention_above_the_maximum_is_refused_and_nothing_changes(app, as_user,
                                                                              admin):
    response = as_user(admin).patch("/api/v1/admin/settings", json={
        "max_retention_days": 30, "default_retention_days": 90})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "default_retention_days" in response.json["error"]["fields"]
    assert audit_rows("site:settings") == []


def test_non_admins_may_not_change_the_settings(app, as_user, member):
    response = as_user(member).patch("/api/v1/admin/settings", json={"signup": "invite"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert audit_rows("site:settings") == []


def test_the_settings_page_saves_and_links_the_site_agreement(app, as_user, admin):
    client = as_user(admin)
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "/admin/agreement" in page
    response = client.post("/admin/settings", data={
        "default_anonymity": "pseudonyms_required", "facilitators_see_identity": "y",
        "default_retention_days": "30", "max_retention_days": "60", "signup": "open"})
    assert response.status_code == HTTPStatus.FOUND
    assert client.get("/api/v1/admin/settings").json["default_anonymity"] == \
        "pseudonyms_required"
    bad = client.post("/admin/settings", data={"default_anonymity": "pseudonyms_required",
                                                "default_retention_days": "90",
                                                "max_retention_days": "60", "signup": "open"})
    assert bad.status_code == HTTPStatus.BAD_REQUEST
    assert "at most the maximum" in bad.get_data(as_text=True)


def test_invitation_only_sign_up_overrides_the_configuration(app, as_user, client, admin):
    as_user(admin).patch("/api/v1/admin/settings", json={"signup": "invite"})
    assert client.get("/sign-up").status_code == HTTPStatus.FORBIDDEN
    response = client.post("/api/v1/users", json={"email": "n@example.org",
                                                  "password": "blue kayak morning tea",
                                                  "display_name": "N"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json["error"]["code"] == "signup_closed"
    assert "Create account" not in client.get("/sign-in").get_data(as_text=True)


def test_new_spaces_take_the_defaults_and_spaces_cannot_exceed_the_maximum(
        app, as_user, admin, space, facilitator):
    client = as_user(admin)
    client.patch("/api/v1/admin/settings", json={
        "default_anonymity": "pseudonyms_required", "default_retention_days": 60,
        "max_retention_days": 90})
    created = client.post("/api/v1/spaces", json={"name": "Cohort 7"}).json
    assert created["anonymity"] == "pseudonyms_required" and created["retention_days"] == 60
    refused = client.post("/api/v1/spaces", json={"name": "Cohort 8", "retention_days": 120})
    assert refused.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    fac = as_user(facilitator)
    too_long = fac.patch(f"/api/v1/spaces/{space.id}", json={"retention_days": 91})
    assert too_long.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "retention_days" in too_long.json["error"]["fields"]
    keep = fac.patch(f"/api/v1/spaces/{space.id}", json={"retention_days": None})
    assert keep.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert fac.patch(f"/api/v1/spaces/{space.id}",
                     json={"retention_days": 90}).status_code == HTTPStatus.OK
    assert db.session.get(Space, space.id).retention_days == 90


def test_facilitators_cannot_reveal_identities_unless_the_site_allows(
        app, as_user, space, facilitator, other_member):
    response = as_user(facilitator).post(
        f"/api/v1/spaces/{space.id}/members/{other_member.id}/identity")
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response.json["error"]["code"] == "identity_hidden"
    page = as_user(facilitator).get(f"/spaces/{space.id}/members").get_data(as_text=True)
    assert "Olga" not in page and "Reveal identity" not in page
    assert audit_rows("identity:reveal") == []


def test_where_allowed_each_identity_look_up_is_audited_and_listed_for_admins(
        app, as_user, space, admin, facilitator, member, other_member):
    as_user(admin).patch("/api/v1/admin/settings", json={"facilitators_see_identity": True})
    client = as_user(facilitator)
    roster = client.get(f"/api/v1/spaces/{space.id}/members").json["items"]
    assert all("Olga" not in str(entry) for entry in roster)  # still one look-up at a time
    response = client.post(f"/api/v1/spaces/{space.id}/members/{other_member.id}/identity")
    assert response.json == {"user_id": other_member.id, "pseudonym": "Kit",
                             "display_name": "Olga Other"}
    page = client.post(f"/spaces/{space.id}/members/{other_member.id}/identity")
    assert "Olga Other" in page.get_data(as_text=True)
    rows = audit_rows("identity:reveal")
    assert [(r.actor_id, r.target_id, r.space_id) for r in rows] == \
        [(facilitator.id, other_member.id, space.id)] * 2
    settings_page = as_user(admin).get("/admin/settings").get_data(as_text=True)
    assert "Frida Facilitator" in settings_page and f"/admin/users/{other_member.id}" in \
        settings_page
    denied = as_user(member).post(f"/api/v1/spaces/{space.id}/members/{other_member.id}/identity")
    assert denied.status_code == HTTPStatus.FORBIDDEN
    assert len(audit_rows("identity:reveal")) == 2


def test_the_audit_log_downloads_as_csv_with_formulas_defused(app, as_user, admin, member,
                                                              outsider):
    client = as_user(admin)
    client.post(f"/api/v1/admin/users/{member.id}/suspend", json={"reason": "=HYPERLINK(1)"})
    response = client.get("/admin/audit.csv?action=user:suspend")
    assert response.status_code == HTTPStatus.OK and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:3] == ["id", "created_at", "action"] and len(rows) == 2
    assert rows[1][2] == "user:suspend" and rows[1][4] == "Ada Admin"
    assert '"reason": "=HYPERLINK(1)"' in rows[1][8]
    assert client.get("/admin/audit").get_data(as_text=True).count("/admin/audit.csv") == 1
    assert as_user(outsider).get("/admin/audit.csv").status_code == HTTPStatus.FORBIDDEN


def test_csv_cells_that_look_like_formulas_are_quoted():
    from community.csvexport import csv_safe

    assert [csv_safe(v) for v in ("=1+1", "+1", "-1", "@x", "plain", None)] == \
        ["'=1+1", "'+1", "'-1", "'@x", "plain", ""]
