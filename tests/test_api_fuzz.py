"""Property-based fuzzing of the JSON API from its own OpenAPI document (schemathesis).

Every operation in /api/v1/openapi.json is called with generated inputs, signed in as a
member and as a facilitator of a populated space; no call may answer 500, and every
response must match the schema the document promises (errors included).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from community.extensions import db, limiter
from community.forums import actions as forum_actions
from community.spaces.queries import get_membership
from tests import factories
from tests.conftest import wipe


def not_a_server_error(ctx, response, case):  # type: ignore[no-untyped-def]
    """Our own check, so the message names the operation and shows the body."""
    if response.status_code >= 500:
        raise AssertionError(f"{case.method} {case.formatted_path} answered "
                             f"{response.status_code}: {response.text[:500]}")


@pytest.fixture
def fuzz_world(_app: Flask) -> Iterator[dict[str, str]]:
    """A populated space, and bearer tokens for a member and a facilitator.

    No app context stays pushed while schemathesis calls the app, so each request gets
    its own context, as in production.
    """
    with _app.app_context():
        facilitator = factories.make_user(email="frida@example.org")
        member = factories.make_user(email="mads@example.org")
        other = factories.make_user(email="olga@example.org")
        space = factories.make_space(name="Next steps", facilitators=[facilitator],
                                     members=[(member, "Robin"), (other, "Kit")])
        thread, _post = forum_actions.check_create_thread(
            space, get_membership(member, space.id), title="Where do I start?",
            body="Where do I start, @Kit?")
        forum_actions.check_create_post(thread, get_membership(other, space.id),
                                        body="Try the job centre.")
        db.session.commit()
        tokens = {"member": factories.make_token(user=member),
                  "facilitator": factories.make_token(user=facilitator)}
        db.session.remove()
    yield tokens
    limiter.reset()
    wipe(_app)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def api_schema(_app: Flask):  # type: ignore[no-untyped-def]
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _app)


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_no_operation_answers_500_and_every_response_matches_the_document(
        case, fuzz_world):  # type: ignore[no-untyped-def]
    for persona in ("member", "facilitator"):
        headers = {"Authorization": f"Bearer {fuzz_world[persona]}"}
        response = case.call(headers=headers)
        case.validate_response(response, headers=headers, checks=[
            not_a_server_error, response_schema_conformance, content_type_conformance])
