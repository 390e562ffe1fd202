"""The roster, removing members and leaving: who sees whom, and who may end a membership."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from community.spaces.models import Anonymity, MembershipState, Role
from tests.factories import make_agreement, make_membership, make_space
from tests.spaces.conftest import audit_rows, membership_of


def test_members_see_only_shown_names_and_roles(app, as_user, space, member):
    response = as_user(member).get(f"/api/v1/spaces/{space.id}/members")
    assert response.status_code == HTTPStatus.OK
    items = response.json["items"]
    assert sorted((i["name"], i["role"]) for i in items) == [
        ("Frida Facilitator", "facilitator"), ("Kit", "member"), ("Robin", "member")]
    assert all(set(i) == {"name", "role"} for i in items)
    assert "Mads" not in response.get_data(as_text=True)
    assert "Olga" not in response.get_data(as_text=True)


def test_facilitators_see_ids_and_joined_dates_but_not_the_names_behind_pseudonyms(
        app, as_user, space, facilitator, other_member):
    response = as_user(facilitator).get(f"/api/v1/spaces/{space.id}/members")
    kit = next(i for i in response.json["items"] if i["name"] == "Kit")
    assert kit["user_id"] == other_member.id
    assert kit["joined_at"]
    assert kit["identity_hidden"] is True and "display_name" not in kit
    assert "Olga" not in response.get_data(as_text=True)
    frida = next(i for i in response.json["items"] if i["role"] == "facilitator")
    assert frida["display_name"] == "Frida Facilitator"  # no pseudonym: nothing hidden


def test_real_name_spaces_show_display_names(app, as_user, facilitator, member):
    space = make_space(name="Faces", facilitators=[facilitator], members=[member],
                       anonymity=Anonymity.REAL_NAMES)
    items = as_user(member).get(f"/api/v1/spaces/{space.id}/members").json["items"]
    assert sorted(i["name"] for i in items) == ["Frida Facilitator", "Mads Member"]


def test_the_roster_is_paginated(app, as_user, space, facilitator):
    client = as_user(facilitator)
    first = client.get(f"/api/v1/spaces/{space.id}/members?limit=2").json
    second = client.get(f"/api/v1/spaces/{space.id}/members?limit=2&cursor="
                        f"{first['next_cursor']}").json
    assert len(first["items"]) == 2 and len(second["items"]) == 1
    assert second["next_cursor"] is None


@pytest.mark.parametrize(("persona", "status"), [
    ("admin", HTTPStatus.FORBIDDEN), ("outsider", HTTPStatus.NOT_FOUND)])
def test_non_members_cannot_read_the_roster(app, as_user, space, persona, status, request):
    response = as_user(request.getfixturevalue(persona)).get(f"/api/v1/spaces/{space.id}/members")
    assert response.status_code == status


def test_the_roster_is_behind_the_agreement(app, as_user, space, member):
    make_agreement(space=space, title="Version 2")
    response = as_user(member).get(f"/api/v1/spaces/{space.id}/members")
    assert response.status_code == HTTPStatus.PRECONDITION_REQUIRED
    assert response.json["error"]["code"] == "agreement_required"


def test_a_facilitator_removes_a_member_who_loses_access_at_once(app, as_user, space,
                                                                 facilitator, member):
    removed = as_user(member)
    assert removed.get(f"/api/v1/spaces/{space.id}/members").status_code == HTTPStatus.OK
    response = as_user(facilitator).delete(f"/api/v1/spaces/{space.id}/members/{member.id}")
    assert response.status_code == HTTPStatus.NO_CONTENT
    membership = membership_of(member, space)
    assert membership.state == MembershipState.REMOVED and membership.ended_at is not None
    (row,) = audit_rows("membership:remove")
    assert row.actor_id == facilitator.id and row.target_id == member.id
    for url in (f"/api/v1/spaces/{space.id}", f"/api/v1/spaces/{space.id}/members",
                f"/spaces/{space.id}", f"/spaces/{space.id}/members"):
        assert removed.get(url).status_code == HTTPStatus.NOT_FOUND, url
    assert space.id not in [s["id"] for s in removed.get("/api/v1/spaces").json["items"]]
    names = [i["name"] for i in as_user(facilitator).get(
        f"/api/v1/spaces/{space.id}/members").json["items"]]
    assert "Robin" not in names


def test_a_member_leaves(app, as_user, space, member):
    response = as_user(member).delete(f"/api/v1/spaces/{space.id}/members/{member.id}")
    assert response.status_code == HTTPStatus.NO_CONTENT
    assert membership_of(member, space).state == MembershipState.LEFT
    (row,) = audit_rows("membership:leave")
    assert row.actor_id == member.id
    again = as_user(member).delete(f"/api/v1/spaces/{space.id}/members/{member.id}")
    assert again.status_code == HTTPStatus.NOT_FOUND


def test_a_member_may_leave_without_accepting_a_new_agreement(app, as_user, space, member):
    make_agreement(space=space, title="Version 2")
    response = as_user(member).delete(f"/api/v1/spaces/{space.id}/members/{member.id}")
    assert response.status_code == HTTPStatus.NO_CONTENT


def test_a_member_cannot_remove_another_member(app, as_user, space, member, other_member):
    response = as_user(member).delete(f"/api/v1/spaces/{space.id}/members/{other_member.id}")
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert membership_of(other_member, space).is_active
    assert audit_rows("membership:remove") == []


@pytest.mark.parametrize(("persona", "status"), [
    ("admin", HTTPStatus.FORBIDDEN), ("outsider", HTTPStatus.NOT_FOUND)])
def test_non_members_cannot_remove_anyone(app, as_user, space, member, persona, status,
                                          request):
    response = as_user(request.getfixturevalue(persona)).delete(
        f"/api/v1/spaces/{space.id}/members/{member.id}")
    assert response.status_code == status
    assert membership_of(member, space).is_active


def test_removing_someone_who_is_not_a_member_answers_404(app, as_user, space, facilitator,
                                                          outsider):
    client = as_user(facilitator)
    assert client.delete(f"/api/v1/spaces/{space.id}/members/{outsider.id}").status_code == \
        HTTPStatus.NOT_FOUND
    assert client.delete(f"/api/v1/spaces/{space.id}/members/999999").status_code == \
        HTTPStatus.NOT_FOUND


def test_the_last_facilitator_can_neither_leave_nor_be_removed(app, as_user, space,
                                                               facilitator, outsider):
    response = as_user(facilitator).delete(
        f"/api/v1/spaces/{space.id}/members/{facilitator.id}")
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json["error"]["code"] == "last_facilitator"
    assert membership_of(facilitator, space).is_active
    make_membership(space=space, user=outsider, role=Role.FACILITATOR)
    # With a second facilitator, one may remove the other, and then the last one stays.
    assert as_user(outsider).delete(
        f"/api/v1/spaces/{space.id}/members/{facilitator.id}").status_code == \
        HTTPStatus.NO_CONTENT
    last = as_user(outsider).delete(f"/api/v1/spaces/{space.id}/members/{outsider.id}")
    assert last.status_code == HTTPStatus.CONFLICT
    assert audit_rows("membership:leave") == []
