"""A member downloads their own data: a zip with data.json and a readable index.html."""

from __future__ import annotations

import io
import json
import zipfile
from http import HTTPStatus

import sqlalchemy as sa

from community.admin.models import AuditEntry
from community.extensions import db
from community.forums import actions as forum_actions
from community.forums.access import Reader
from community.moderation import actions as moderation_actions
from community.privacy import export
from community.spaces.queries import get_membership


def unzip(response):  # type: ignore[no-untyped-def]
    assert response.status_code == HTTPStatus.OK, response.data[:300]
    assert response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert sorted(archive.namelist()) == ["data.json", "index.html"]
    return json.loads(archive.read("data.json")), archive.read("index.html").decode()


def world(space, member, other_member):  # type: ignore[no-untyped-def]
    mine = get_membership(member, space.id)
    thread, post = forum_actions.check_create_thread(
        space, mine, title="My <b>plans</b>", body="I want to <script>alert(1)</script> train")
    db.session.commit()
    forum_actions.check_edit_post(post, mine, body="I want to become a welder")
    other = forum_actions.check_create_post(thread, get_membership(other_member, space.id),
                                            body="Welding is a good trade, says Kit")
    db.session.commit()
    moderation_actions.check_flag_post(other, Reader(space, mine), reason="other",
                                       note="Not sure about this")
    db.session.commit()
    return thread, post, other


def test_a_member_downloads_everything_they_wrote_and_accepted(app, as_user, space, member,
                                                               other_member):
    _thread, post, other = world(space, member, other_member)
    data, html = unzip(as_user(member).get("/api/v1/me/export"))
    assert data["profile"]["email"] == "mads@example.org"
    assert [(m["space_name"], m["pseudonym"]) for m in data["memberships"]] == \
        [("Next steps", "Robin")]
    assert [(p["id"], p["thread_title"], p["source"]) for p in data["posts"]] == \
        [(post.id, "My <b>plans</b>", "I want to become a welder")]
    assert [r["source"] for r in data["revisions"]] == ["I want to <script>alert(1)</script> train"]
    assert [(f["post_id"], f["note"]) for f in data["flags"]] == [(other.id, "Not sure about this")]
    assert len(data["agreements_accepted"]) == 2
    assert all(a["accepted_at"] for a in data["agreements_accepted"])
    assert "threads" not in data  # the site setting is off by default
    assert "Welding is a good trade" not in json.dumps(data)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "My &lt;b&gt;plans&lt;/b&gt;" in html
    assert "http" not in html.replace("http-equiv", "")  # nothing loaded from anywhere
    [row] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "user:export"))
    assert (row.actor_id, row.target_id) == (member.id, member.id)


def test_the_site_may_let_exports_include_the_threads_as_peers_see_them(
        app, as_user, admin, space, member, other_member):
    world(space, member, other_member)
    as_user(admin).patch("/api/v1/admin/settings", json={"export_threads": True})
    data, html = unzip(as_user(member).get("/api/v1/me/export"))
    [thread] = data["threads"]
    assert [(p["author"], "Welding" in p["body_html"]) for p in thread["posts"]] == \
        [("Kit", True)]
    assert "Olga" not in json.dumps(data) and "Olga" not in html
    assert "Welding is a good trade" in html


def test_the_export_page_downloads_the_zip_and_signed_out_visitors_cannot(
        app, as_user, client, space, member, other_member):
    world(space, member, other_member)
    page = as_user(member).get("/profile/data")
    assert page.status_code == HTTPStatus.OK and "Download my data" in page.get_data(True)
    data, _html = unzip(as_user(member).post("/profile/data"))
    assert data["profile"]["id"] == member.id
    assert client.get("/api/v1/me/export").status_code == HTTPStatus.UNAUTHORIZED
    assert client.post("/profile/data").status_code == HTTPStatus.FOUND


def test_another_member_gets_only_their_own_data(app, as_user, space, member, other_member):
    world(space, member, other_member)
    data, _html = unzip(as_user(other_member).get("/api/v1/me/export"))
    assert data["profile"]["id"] == other_member.id
    assert [p["source"] for p in data["posts"]] == ["Welding is a good trade, says Kit"]
    assert data["flags"] == [] and data["revisions"] == []


def test_registered_sections_are_included(app, as_user, space, member, monkeypatch):
    monkeypatch.setitem(export.export_sections, "facilitator_notes",
                        lambda user: [{"note": f"<i>about {user.id}</i>"}])
    data, html = unzip(as_user(member).get("/api/v1/me/export"))
    assert data["facilitator_notes"] == [{"note": f"<i>about {member.id}</i>"}]
    assert "&lt;i&gt;about" in html
