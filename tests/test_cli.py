"""The `community` command: init, create-admin and demo against the test database."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
import sqlalchemy as sa

from community import create_app
from community.accounts.models import User
from community.accounts.passwords import verify_password
from community.admin.models import AuditEntry
from community.cli import cli
from community.extensions import db
from community.spaces.models import Acceptance, Agreement, Anonymity, Membership, Role, Space
from tests import conftest
from tests.factories import PASSWORD

STRONG = "plum orchard kettle 58"


def run(app, *args: str, input: str | None = None):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(cli, list(args), input=input)


def count(model) -> int:  # type: ignore[no-untyped-def]
    db.session.commit()  # see rows the command committed in its own transactions
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def audit_actions() -> list[str]:
    db.session.commit()
    return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


@pytest.mark.parametrize("backend", conftest.BACKENDS)
def test_init_migrates_an_empty_database_to_head_and_then_changes_nothing(backend,
                                                                           tmp_path_factory):
    url, pg_name = conftest.database_url(backend, tmp_path_factory)
    fresh = create_app(conftest.app_config(url, str(tmp_path_factory.mktemp("instance"))))
    try:
        first = run(fresh, "init")
        assert first.exit_code == 0, first.output
        assert "from empty to" in first.output
        again = run(fresh, "init")
        assert again.exit_code == 0, again.output
        assert "up to date" in again.output
        with fresh.app_context():
            assert "users" in sa.inspect(db.engine).get_table_names()
            db.engine.dispose()
    finally:
        if pg_name:
            conftest.drop_postgres_database(pg_name)


def test_init_on_a_migrated_database_says_it_is_up_to_date(app):
    result = run(app, "init")
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output


def test_create_admin_with_flags_creates_an_admin_who_can_sign_in(app, client):
    result = run(app, "create-admin", "--email", "Ada@Example.org", "--password", STRONG,
                 "--name", "Ada Lovelace")
    assert result.exit_code == 0, result.output
    assert "Created admin ada@example.org" in result.output
    user = db.session.scalar(sa.select(User).where(User.email == "ada@example.org"))
    assert user.is_admin and user.display_name == "Ada Lovelace"
    assert audit_actions() == ["user:signup", "user:make_admin"]
    response = client.post("/sign-in", data={"email": "ada@example.org", "password": STRONG})
    assert response.status_code == HTTPStatus.FOUND


def test_create_admin_prompts_for_what_is_omitted_and_hides_the_password(app):
    result = run(app, "create-admin", input=f"ada@example.org\nAda\n{STRONG}\n{STRONG}\n")
    assert result.exit_code == 0, result.output
    assert STRONG not in result.output
    user = db.session.scalar(sa.select(User).where(User.email == "ada@example.org"))
    assert user.is_admin and user.display_name == "Ada"
    assert verify_password(user.password_hash, STRONG)


def test_create_admin_asks_again_when_the_passwords_differ(app):
    result = run(app, "create-admin", "--email", "ada@example.org", "--name", "Ada",
                 input=f"{STRONG}\nsomething else 11\n{STRONG}\n{STRONG}\n")
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output.lower()
    assert count(User) == 1


@pytest.mark.parametrize(("email", "password", "message"), [
    ("not-an-address", STRONG, "valid e-mail"),
    ("ada@example.org", "password123", "too common"),
    ("ada@example.org", "short", "at least 10"),
])
def test_create_admin_refuses_bad_input_and_writes_nothing(app, email, password, message):
    result = run(app, "create-admin", "--email", email, "--password", password, "--name", "Ada")
    assert result.exit_code != 0
    assert message in result.output
    assert count(User) == 0
    assert audit_actions() == []


def test_create_admin_makes_an_existing_account_admin_and_keeps_its_password(app, member):
    result = run(app, "create-admin", "--email", "MADS@example.org", "--password", STRONG)
    assert result.exit_code == 0, result.output
    assert "now an admin" in result.output and "NOT applied" in result.output
    db.session.refresh(member)
    assert member.is_admin
    assert verify_password(member.password_hash, PASSWORD)
    assert audit_actions() == ["user:make_admin"]


def test_create_admin_for_an_admin_changes_nothing(app, admin):
    result = run(app, "create-admin", "--email", admin.email)
    assert result.exit_code == 0, result.output
    assert "already an admin" in result.output
    assert audit_actions() == []


def demo_logins(output: str) -> dict[str, str]:
    return dict(re.findall(r"^\s+\w+\s+(\S+@\S+)\s+(\S+)", output, re.MULTILINE))


def test_demo_creates_the_space_people_and_agreements_it_promises(app):
    result = run(app, "demo")
    assert result.exit_code == 0, result.output
    space = db.session.scalar(sa.select(Space))
    assert space.name == "Next steps after school"
    assert space.anonymity == Anonymity.PSEUDONYMS_ALLOWED
    memberships = db.session.scalars(sa.select(Membership)).all()
    assert sorted((m.role, m.pseudonym) for m in memberships if m.role == Role.MEMBER) == [
        (Role.MEMBER, "Kit"), (Role.MEMBER, "Robin"), (Role.MEMBER, "Sky")]
    assert [m.user.email for m in memberships if m.role == Role.FACILITATOR] == [
        "counsellor@example.org"]
    assert all(m.is_active for m in memberships)
    agreements = db.session.scalars(sa.select(Agreement)).all()
    assert sorted(a.space_id or 0 for a in agreements) == [0, space.id]
    users = db.session.scalars(sa.select(User)).all()
    assert len(users) == 5
    assert [u.email for u in users if u.is_admin] == ["admin@example.org"]
    for user in users:  # everyone has accepted both agreements, the admin too
        accepted = set(db.session.scalars(sa.select(Acceptance.agreement_id)
                                          .where(Acceptance.user_id == user.id)))
        assert accepted == {a.id for a in agreements}
    logins = demo_logins(result.output)
    assert set(logins) == {u.email for u in users}
    for user in users:
        assert verify_password(user.password_hash, logins[user.email])
    assert {"agreement:publish", "space:create", "membership:join"} <= set(audit_actions())


def test_demo_run_twice_duplicates_nothing_and_prints_the_same_logins(app):
    first = run(app, "demo")
    assert first.exit_code == 0, first.output
    counts = [count(m) for m in (User, Space, Membership, Agreement, Acceptance, AuditEntry)]
    second = run(app, "demo")
    assert second.exit_code == 0, second.output
    assert "nothing new" in second.output
    assert [count(m) for m in (User, Space, Membership, Agreement, Acceptance, AuditEntry)] \
        == counts
    assert demo_logins(second.output) == demo_logins(first.output)


def test_the_printed_demo_admin_signs_in_through_the_sign_in_page(app, client):
    result = run(app, "demo")
    password = demo_logins(result.output)["admin@example.org"]
    response = client.post("/sign-in", data={"email": "admin@example.org", "password": password})
    assert response.status_code == HTTPStatus.FOUND
    page = client.get("/")
    assert page.status_code == HTTPStatus.OK
    assert "Next steps after school" in page.get_data(as_text=True)


def test_demo_does_not_print_a_password_it_no_longer_knows(app):
    run(app, "demo")
    user = db.session.scalar(sa.select(User).where(User.email == "nora@example.org"))
    from community.accounts.passwords import hash_password

    user.password_hash = hash_password(STRONG)
    db.session.commit()
    again = run(app, "demo")
    assert again.exit_code == 0, again.output
    assert "nora@example.org" in again.output and "not shown" in again.output


def test_demo_refuses_to_run_in_production(app):
    app.config["PRODUCTION"] = True
    try:
        result = run(app, "demo")
    finally:
        app.config["PRODUCTION"] = False
    assert result.exit_code != 0
    assert "production" in result.output
    assert count(User) == 0


def test_demo_starts_career_exploration_threads_once(app):
    forums = pytest.importorskip("community.forums.models")
    from community.demo import THREADS

    first = run(app, "demo")
    assert first.exit_code == 0, first.output
    assert f"{len(THREADS)} threads" in first.output
    run(app, "demo")
    titles = db.session.scalars(sa.select(forums.Thread.title)).all()
    assert sorted(titles) == sorted(t[1] for t in THREADS)
    assert count(forums.Post) == sum(1 + len(t[3]) for t in THREADS)
