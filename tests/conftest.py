"""Shared fixtures: the app on each database backend, a clean database per test, personas."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from community import create_app
from community.extensions import db, limiter
from tests import factories


def _services_env() -> dict[str, str]:
    """What scripts/ensure-services settled on (a fresh install has a password)."""
    path = os.path.join(os.path.dirname(__file__), "..", "instance", "test-services.env")
    if not os.path.exists(path):
        return {}
    with open(path) as fh:
        return dict(line.strip().split("=", 1) for line in fh if "=" in line)


BACKENDS = [b for b in os.environ.get("COMMUNITY_TEST_BACKENDS", "sqlite,postgresql").split(",")
            if b]
POSTGRES_URL = (os.environ.get("COMMUNITY_TEST_POSTGRES_URL")
                or _services_env().get("COMMUNITY_TEST_POSTGRES_URL")
                or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def postgres_database(name: str) -> str:
    """Create an empty database and return its URL; fails loudly if PostgreSQL is down."""
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL} ({exc.orig}); start it, "
                    "or set COMMUNITY_TEST_BACKENDS=sqlite to test SQLite alone", pytrace=False)
    finally:
        admin.dispose()
    return str(sa.make_url(POSTGRES_URL).set(database=name))


def drop_postgres_database(name: str) -> None:
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str | None]:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}", None
    name = f"community_test_{uuid.uuid4().hex[:12]}"
    return postgres_database(name), name


def app_config(url: str, instance: str) -> dict[str, object]:
    return {
        "TESTING": True,
        "DATABASE_URL": url,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-000",
        "INSTANCE_PATH": instance,
        "BASE_URL": "http://localhost",
        "WTF_CSRF_ENABLED": False,
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 64,
        "RATELIMIT_STORAGE_URI": "memory://",
    }


class Client(FlaskClient):
    """Each request gets its own app context, as in production.

    Flask reuses an app context that is already pushed, and the tests hold one open for
    their own database work; without this, `g` (the signed-in user) and the database
    session would leak from one request into the next.
    """

    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        # End the test's own transaction first: it would hold SQLite's write lock.
        db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session", params=BACKENDS)
def _app(request: pytest.FixtureRequest,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    from flask_migrate import upgrade

    url, pg_name = database_url(request.param, tmp_path_factory)
    app = create_app(app_config(url, str(tmp_path_factory.mktemp("instance"))))
    app.test_client_class = Client
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()
    if pg_name:
        drop_postgres_database(pg_name)


def wipe(app: Flask) -> None:
    """Empty every table; tests commit for real so that other processes can see their data."""
    with app.app_context():
        db.session.remove()
        tables = db.metadata.sorted_tables
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in tables)
                conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            else:
                for table in reversed(tables):
                    conn.execute(table.delete())


@pytest.fixture
def app(_app: Flask) -> Iterator[Flask]:
    """The app inside an app context, with an empty database and fresh rate limits."""
    with _app.app_context():
        yield _app
        db.session.remove()
    limiter.reset()
    wipe(_app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def login(client: FlaskClient, user) -> FlaskClient:  # type: ignore[no-untyped-def]
    """Sign a test client in as `user` without going through the rate-limited form."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    return client


@pytest.fixture
def as_user(app: Flask):  # type: ignore[no-untyped-def]
    """as_user(persona) -> a new test client signed in as that persona."""
    return lambda user: login(app.test_client(), user)


@pytest.fixture
def admin(app: Flask):  # type: ignore[no-untyped-def]
    return factories.make_user(display_name="Ada Admin", email="admin@example.org", is_admin=True)


@pytest.fixture
def facilitator(app: Flask):  # type: ignore[no-untyped-def]
    return factories.make_user(display_name="Frida Facilitator", email="frida@example.org")


@pytest.fixture
def member(app: Flask):  # type: ignore[no-untyped-def]
    return factories.make_user(display_name="Mads Member", email="mads@example.org")


@pytest.fixture
def other_member(app: Flask):  # type: ignore[no-untyped-def]
    return factories.make_user(display_name="Olga Other", email="olga@example.org")


@pytest.fixture
def outsider(app: Flask):  # type: ignore[no-untyped-def]
    return factories.make_user(display_name="Otto Outsider", email="otto@example.org")


@pytest.fixture
def space(app, admin, facilitator, member, other_member):  # type: ignore[no-untyped-def]
    """A space with the site and space agreements published and accepted by everyone in it."""
    return factories.make_space(name="Next steps", facilitators=[facilitator],
                                members=[(member, "Robin"), (other_member, "Kit")],
                                accepted_by=[admin])
