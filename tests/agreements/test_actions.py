"""Publishing and accepting agreements, and the gate in front of a space's content."""

from __future__ import annotations

import pytest

from community.admin.models import AuditEntry
from community.agreements import actions, queries
from community.errors import AgreementRequired, Conflict, Invalid
from community.extensions import db
from community.policy import Permission
from community.spaces.access import access_space_by_id
from community.spaces.models import Acceptance, Agreement


@pytest.fixture(autouse=True)
def _request(app):  # type: ignore[no-untyped-def]
    """Messages are translated for a request's language, so actions run inside one."""
    with app.test_request_context("/"):
        yield


def count(model) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(db.select(db.func.count(model.id)))


def test_publishing_the_site_agreement_makes_a_new_current_version_that_its_publisher_accepts(
        space, admin, member):
    before = queries.get_current_agreement(None)
    agreement = actions.check_publish_agreement(space=None, title="  Our   rules ",
                                                body="**Be kind.**", acting_user=admin)
    db.session.commit()
    assert agreement.version == before.version + 1
    assert queries.get_current_agreement(None).id == agreement.id
    assert agreement.title == "Our rules"
    assert agreement.body_html == "<p><strong>Be kind.</strong></p>\n"
    assert agreement.published_by_id == admin.id
    assert queries.has_accepted(admin, agreement)
    assert not queries.has_accepted(member, agreement)
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "agreement:publish"))
    assert (entry.actor_id, entry.target_id, entry.space_id) == (admin.id, agreement.id, None)
    assert entry.data == {"version": agreement.version, "title": "Our rules"}


def test_publishing_a_space_agreement_is_audited_with_the_space(space, facilitator, member):
    agreement = actions.check_publish_agreement(space=space, title="Version two",
                                                body="Stay kind.", acting_user=facilitator)
    db.session.commit()
    assert agreement.version == 2
    assert queries.has_accepted(facilitator, agreement)
    assert queries.missing_agreement(member, space).id == agreement.id
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "agreement:publish"))
    assert (entry.actor_id, entry.space_id, entry.data["version"]) == (facilitator.id, space.id, 2)


def test_agreement_text_is_sanitized(space, facilitator):
    agreement = actions.check_publish_agreement(
        space=space, title="Rules", body="<script>alert(1)</script> [x](javascript:alert(1))",
        acting_user=facilitator)
    assert "<script" not in agreement.body_html
    assert "href=\"javascript" not in agreement.body_html


@pytest.mark.parametrize(("title", "body", "bad"), [
    ("ab", "Body", {"title"}),
    ("t" * 201, "Body", {"title"}),
    ("Fine title", "   \n ", {"body"}),
    ("Fine title", "b" * 50_001, {"body"}),
    ("", "", {"title", "body"}),
])
def test_bad_agreement_input_names_the_fields_and_writes_nothing(space, facilitator, title, body,
                                                                  bad):
    agreements, audits = count(Agreement), count(AuditEntry)
    with pytest.raises(Invalid) as caught:
        actions.check_publish_agreement(space=space, title=title, body=body,
                                        acting_user=facilitator)
    db.session.rollback()
    assert set(caught.value.fields) == bad
    assert (count(Agreement), count(AuditEntry)) == (agreements, audits)


def test_accepting_is_idempotent(space, facilitator, member):
    new = actions.check_publish_agreement(space=space, title="Second", body="Text",
                                          acting_user=facilitator)
    db.session.commit()
    first = actions.check_accept_agreement(member, space=space, version=new.version)
    db.session.commit()
    again = actions.check_accept_agreement(member, space=space, version=new.version)
    db.session.commit()
    assert first.id == again.id
    assert db.session.scalar(db.select(db.func.count(Acceptance.id)).where(
        Acceptance.user_id == member.id, Acceptance.agreement_id == new.id)) == 1


def test_accepting_an_outdated_version_is_a_conflict_naming_the_current_one(
        space, facilitator, member):
    actions.check_publish_agreement(space=space, title="Second", body="Text",
                                    acting_user=facilitator)
    db.session.commit()
    acceptances = count(Acceptance)
    with pytest.raises(Conflict) as caught:
        actions.check_accept_agreement(member, space=space, version=1)
    assert caught.value.code == "agreement_outdated"
    assert caught.value.extra == {"current_version": 2}
    with pytest.raises(Invalid) as unknown:
        actions.check_accept_agreement(member, space=space, version=7)
    assert "version" in unknown.value.fields
    db.session.rollback()
    assert count(Acceptance) == acceptances


def test_a_space_agreement_cannot_be_accepted_before_the_site_agreement(app, space, admin,
                                                                        member):
    actions.check_publish_agreement(space=None, title="Site two", body="Text", acting_user=admin)
    db.session.commit()
    current = queries.get_current_agreement(space.id)
    with app.test_request_context("/api/v1/x", method="POST"), \
            pytest.raises(AgreementRequired) as caught:
        actions.check_accept_agreement(member, space=space, version=current.version)
    assert caught.value.extra["agreement_url"] == "/api/v1/agreements/site"


def test_the_gate_holds_a_member_back_until_they_accept_the_new_version(app, space, facilitator,
                                                                        member):
    new = actions.check_publish_agreement(space=space, title="Second", body="Text",
                                          acting_user=facilitator)
    db.session.commit()
    with app.test_request_context(f"/spaces/{space.id}/members"):
        with pytest.raises(AgreementRequired) as caught:
            access_space_by_id(member, space.id, Permission.READ_CONTENT)
        assert caught.value.html_url.startswith(f"/agreements/spaces/{space.id}?next=")
        assert access_space_by_id(facilitator, space.id, Permission.READ_CONTENT)
        actions.check_accept_agreement(member, space=space, version=new.version)
        db.session.commit()
        assert access_space_by_id(member, space.id, Permission.READ_CONTENT)
