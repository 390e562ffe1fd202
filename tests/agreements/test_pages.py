"""Agreement pages: read, "I agree" and go back, the redirect gate, publish, who has accepted."""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from community.admin.models import AuditEntry
from community.agreements import queries
from community.extensions import db
from community.spaces.models import Acceptance, Agreement
from tests.factories import make_agreement


def persona(request: pytest.FixtureRequest, name: str):  # type: ignore[no-untyped-def]
    return request.getfixturevalue(name)


def next_of(location: str) -> str:
    return parse_qs(urlsplit(location).query)["next"][0]


def accepted(user, agreement) -> bool:  # type: ignore[no-untyped-def]
    return queries.has_accepted(user, db.session.get(Agreement, agreement.id))


def test_anyone_may_read_the_site_agreement_but_must_sign_in_to_accept(client, space):
    page = client.get("/agreements/site")
    assert page.status_code == HTTPStatus.OK
    assert "What is said here stays here." in page.text
    assert "I agree" not in page.text
    assert "/sign-in?next=" in page.text
    response = client.post("/agreements/site", data={"version": "1"})
    assert response.status_code == HTTPStatus.FOUND
    assert response.location.startswith("/sign-in")


def test_accepting_the_site_agreement_returns_to_the_safe_next_page(as_user, space, outsider):
    client = as_user(outsider)
    page = client.get("/agreements/site?next=/profile")
    assert "I agree" in page.text and 'name="version" type="hidden" value="1"' in page.text
    response = client.post("/agreements/site?next=/profile", data={"version": "1"})
    assert response.status_code == HTTPStatus.FOUND
    assert response.location == "/profile"
    assert accepted(outsider, queries.get_current_agreement(None))
    assert "You accepted this version" in client.get("/agreements/site").text


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil"])
def test_an_unsafe_next_falls_back_to_the_spaces_page(as_user, space, outsider, target):
    response = as_user(outsider).post(f"/agreements/site?next={quote(target)}",
                                      data={"version": "1"})
    assert response.status_code == HTTPStatus.FOUND
    assert response.location == "/"


def test_an_outdated_acceptance_shows_the_new_text_and_records_nothing(as_user, space, member):
    new = make_agreement(space=space, title="Second version", body="New *words*")
    client = as_user(member)
    response = client.post(f"/agreements/spaces/{space.id}", data={"version": "1"})
    assert response.status_code == HTTPStatus.CONFLICT
    assert "A newer version" in response.text and "<em>words</em>" in response.text
    assert not accepted(member, new)


def test_a_new_space_version_sends_members_to_the_agreement_page_and_back(as_user, space,
                                                                          member):
    new = make_agreement(space=space, title="Second version")
    client = as_user(member)
    roster = f"/spaces/{space.id}/members"
    response = client.get(roster)
    assert response.status_code == HTTPStatus.FOUND
    assert urlsplit(response.location).path == f"/agreements/spaces/{space.id}"
    assert next_of(response.location) == roster
    page = client.get(response.location)
    assert page.status_code == HTTPStatus.OK and "Second version" in page.text
    back = client.post(response.location, data={"version": str(new.version)})
    assert back.status_code == HTTPStatus.FOUND and back.location == roster
    assert client.get(roster).status_code == HTTPStatus.OK


def test_the_space_agreement_page_first_sends_a_member_to_the_site_agreement(as_user, space,
                                                                              member):
    site = make_agreement(title="Site version two")
    make_agreement(space=space, title="Space version two")
    client = as_user(member)
    roster = f"/spaces/{space.id}/members"
    step = client.get(roster)
    assert urlsplit(step.location).path == "/agreements/site" and next_of(step.location) == roster
    # The space agreement page sends the member on to the site agreement first.
    space_page = client.get(f"/agreements/spaces/{space.id}?next={quote(roster, safe='')}")
    assert space_page.status_code == HTTPStatus.FOUND
    assert urlsplit(space_page.location).path == "/agreements/site"
    after_site = client.post(space_page.location, data={"version": str(site.version)})
    assert urlsplit(after_site.location).path == f"/agreements/spaces/{space.id}"
    assert next_of(after_site.location) == roster
    assert client.post(after_site.location, data={"version": "2"}).location == roster


@pytest.mark.parametrize(("who", "status"), [
    ("facilitator", HTTPStatus.OK), ("member", HTTPStatus.OK), ("admin", HTTPStatus.OK),
    ("outsider", HTTPStatus.NOT_FOUND)])
def test_who_may_open_a_space_agreement_page(request, as_user, space, who, status):
    response = as_user(persona(request, who)).get(f"/agreements/spaces/{space.id}")
    assert response.status_code == status
    if status == HTTPStatus.OK:
        assert "Next steps agreement" in response.text


def test_an_admin_who_is_not_a_member_reads_but_cannot_accept(as_user, space, admin):
    make_agreement(space=space, title="Second version")
    client = as_user(admin)
    page = client.get(f"/agreements/spaces/{space.id}")
    assert "I agree" not in page.text
    assert client.post(f"/agreements/spaces/{space.id}",
                       data={"version": "2"}).status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize(("who", "status"), [
    ("facilitator", HTTPStatus.OK), ("member", HTTPStatus.FORBIDDEN),
    ("admin", HTTPStatus.FORBIDDEN), ("outsider", HTTPStatus.NOT_FOUND)])
def test_who_may_open_the_publish_and_acceptance_pages(request, as_user, space, who, status):
    client = as_user(persona(request, who))
    for path in (f"/agreements/spaces/{space.id}/publish",
                 f"/agreements/spaces/{space.id}/acceptances"):
        assert client.get(path).status_code == status, path
    response = client.post(f"/agreements/spaces/{space.id}/publish",
                           data={"title": "New rules", "body": "Text"})
    assert response.status_code == (HTTPStatus.FOUND if status == HTTPStatus.OK else status)
    published = db.session.scalar(db.select(db.func.max(Agreement.version))
                                  .where(Agreement.space_id == space.id))
    assert published == (2 if status == HTTPStatus.OK else 1)


def test_a_facilitator_publishes_and_then_sees_who_has_not_accepted(as_user, space, facilitator):
    client = as_user(facilitator)
    form = client.get(f"/agreements/spaces/{space.id}/publish")
    assert "What is said here stays here." in form.text  # starts from the current text
    response = client.post(f"/agreements/spaces/{space.id}/publish",
                           data={"title": "Our second agreement", "body": "- Listen\n- Respect"})
    assert response.status_code == HTTPStatus.FOUND
    assert response.location == f"/agreements/spaces/{space.id}/acceptances"
    page = client.get(response.location)
    assert "2 of 3 have not accepted it yet." in page.text
    assert "Robin" in page.text and "Kit" in page.text
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "agreement:publish"))
    assert entry.actor_id == facilitator.id and entry.space_id == space.id


def test_bad_publish_input_is_shown_next_to_the_field_and_nothing_is_written(as_user, space,
                                                                             facilitator):
    before = db.session.scalar(db.select(db.func.count(Agreement.id)))
    response = as_user(facilitator).post(f"/agreements/spaces/{space.id}/publish",
                                         data={"title": "ab", "body": "x" * 50_001})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert 'id="title-error"' in response.text and 'id="body-error"' in response.text
    assert db.session.scalar(db.select(db.func.count(Agreement.id))) == before
    assert db.session.scalar(db.select(db.func.count(AuditEntry.id))) == 0


def test_earlier_versions_have_their_own_pages(as_user, space, member, outsider):
    make_agreement(space=space, title="Second version", body="Newer text")
    client = as_user(member)
    listing = client.get(f"/agreements/spaces/{space.id}/versions")
    assert "Second version" in listing.text and "Next steps agreement" in listing.text
    old = client.get(f"/agreements/spaces/{space.id}/versions/1")
    assert old.status_code == HTTPStatus.OK and "This is an earlier version." in old.text
    assert client.get(f"/agreements/spaces/{space.id}/versions/7").status_code == \
        HTTPStatus.NOT_FOUND
    other = as_user(outsider)
    assert other.get(f"/agreements/spaces/{space.id}/versions").status_code == \
        HTTPStatus.NOT_FOUND
    assert other.get("/agreements/site/versions").status_code == HTTPStatus.OK
    assert other.get("/agreements/site/versions/1").status_code == HTTPStatus.OK


def test_the_i_agree_form_needs_its_csrf_token(app, as_user, space, outsider, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    client = as_user(outsider)
    assert client.post("/agreements/site", data={"version": "1"}).status_code == \
        HTTPStatus.BAD_REQUEST
    assert db.session.scalar(db.select(Acceptance).where(Acceptance.user_id == outsider.id)) \
        is None
    page = client.get("/agreements/site")
    token = page.text.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/agreements/site", data={"version": "1", "csrf_token": token})
    assert response.status_code == HTTPStatus.FOUND
