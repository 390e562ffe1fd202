"""Whispers in threads and private notes about a member."""

from __future__ import annotations

import io
import json
import zipfile
from http import HTTPStatus

import sqlalchemy as sa

from community.admin.models import AuditEntry
from community.extensions import db
from community.facilitation.models.conversations import MemberNote
from community.forums import actions as forum_actions
from community.forums.models import Post, PostState
from community.privacy.export import collect
from community.realtime.models import Event
from community.spaces.queries import get_membership


def _thread(space, member):  # type: ignore[no-untyped-def]
    thread, _post = forum_actions.check_create_thread(
        space, get_membership(member, space.id), title="Options", body="Which way?")
    db.session.commit()
    return thread.id


def test_a_whisper_is_seen_only_by_facilitators(space, as_user, facilitator, member, admin):
    thread_id = _thread(space, member)
    response = as_user(facilitator).post(f"/api/v1/threads/{thread_id}/whispers",
                                         json={"body": "Robin seems stuck; check in?"})
    assert response.status_code == HTTPStatus.CREATED
    post_id = response.json["post"]["id"]
    assert db.session.get(Post, post_id).state == PostState.WHISPER
    member_view = as_user(member).get(f"/api/v1/threads/{thread_id}/posts").json["items"]
    assert post_id not in [p["id"] for p in member_view]
    assert as_user(member).get(f"/api/v1/posts/{post_id}").status_code in (
        HTTPStatus.NOT_FOUND, HTTPStatus.METHOD_NOT_ALLOWED)
    page = as_user(member).get(f"/threads/{thread_id}")
    assert b"seems stuck" not in page.data
    facilitator_view = as_user(facilitator).get(f"/api/v1/threads/{thread_id}/posts").json
    assert post_id in [p["id"] for p in facilitator_view["items"]]
    audiences = set(db.session.scalars(sa.select(Event.audience).where(
        Event.subject == f"post:{post_id}")))
    assert audiences == {"facilitators"}
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "post:whisper"))
    search = as_user(member).get(f"/api/v1/spaces/{space.id}/search", query_string={"q": "stuck"})
    assert search.status_code == HTTPStatus.OK
    assert b"stuck" not in search.data


def test_members_may_not_whisper(space, as_user, member):
    thread_id = _thread(space, member)
    response = as_user(member).post(f"/api/v1/threads/{thread_id}/whispers", json={"body": "x"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Post).where(
        Post.state == PostState.WHISPER)) == 0


def test_notes_about_a_member_are_for_facilitators_and_in_the_members_export(
        space, as_user, facilitator, member, other_member):
    subject = get_membership(member, space.id).id
    url = f"/api/v1/spaces/{space.id}/members/{subject}/notes"
    response = as_user(facilitator).post(url, json={"body": "Wants to try carpentry."})
    assert response.status_code == HTTPStatus.CREATED
    audit = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "member_note:add"))
    assert audit.target_id == subject and "carpentry" not in json.dumps(audit.data)
    for person in (member, other_member):
        assert as_user(person).get(url).status_code == HTTPStatus.FORBIDDEN
        assert as_user(person).post(url, json={"body": "x"}).status_code == HTTPStatus.FORBIDDEN
    assert as_user(facilitator).get(url).json["items"][0]["source"] == "Wants to try carpentry."
    exported = collect(db.session.get(type(member), member.id))
    assert exported["facilitator_notes"][0]["note"] == "Wants to try carpentry."
    assert "Frida" not in json.dumps(exported["facilitator_notes"])
    other = collect(db.session.get(type(other_member), other_member.id))
    assert other["facilitator_notes"] == []
    note_id = response.json["note"]["id"]
    assert as_user(member).delete(f"/api/v1/spaces/{space.id}/notes/{note_id}").status_code \
        == HTTPStatus.FORBIDDEN
    assert as_user(facilitator).delete(
        f"/api/v1/spaces/{space.id}/notes/{note_id}").status_code == HTTPStatus.NO_CONTENT
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MemberNote)) == 0


def test_notes_refuse_empty_text_and_memberships_of_other_spaces(space, as_user, facilitator,
                                                                member):
    subject = get_membership(member, space.id).id
    url = f"/api/v1/spaces/{space.id}/members/{subject}/notes"
    assert as_user(facilitator).post(url, json={"body": " "}).status_code \
        == HTTPStatus.UNPROCESSABLE_ENTITY
    assert as_user(facilitator).get(
        f"/api/v1/spaces/{space.id}/members/999999/notes").status_code == HTTPStatus.NOT_FOUND


def test_the_notes_page_works_for_facilitators_only(space, as_user, facilitator, member):
    subject = get_membership(member, space.id).id
    url = f"/spaces/{space.id}/members/{subject}/notes"
    assert as_user(facilitator).post(url, data={"body": "Quiet lately"}).status_code \
        == HTTPStatus.FOUND
    assert b"Quiet lately" in as_user(facilitator).get(url).data
    assert as_user(member).get(url).status_code == HTTPStatus.FORBIDDEN


def test_the_export_zip_carries_the_notes(space, as_user, facilitator, member):
    subject = get_membership(member, space.id).id
    as_user(facilitator).post(f"/api/v1/spaces/{space.id}/members/{subject}/notes",
                              json={"body": "Note for export"})
    from community.privacy.export import build_zip
    data = build_zip(collect(db.session.get(type(member), member.id)))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "Note for export" in archive.read("data.json").decode()
