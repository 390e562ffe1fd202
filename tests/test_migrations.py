"""The migrations build exactly the schema the models describe, and go down and up again."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from community import create_app
from community.extensions import db
from community.forums.search import include_name
from tests.conftest import BACKENDS, app_config, database_url, drop_postgres_database


@pytest.mark.parametrize("backend", BACKENDS)
def test_migrations_match_the_models_and_round_trip(backend, tmp_path_factory):
    url, pg_name = database_url(backend, tmp_path_factory)
    app = create_app(app_config(url, str(tmp_path_factory.mktemp("instance"))))
    try:
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                               "include_name": include_name})
                assert compare_metadata(context, db.metadata) == []
            downgrade(revision="base")
            with db.engine.connect() as conn:
                tables = set(db.inspect(conn).get_table_names()) - {"alembic_version"}
            assert tables == set()
            upgrade()
            with db.engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                               "include_name": include_name})
                assert compare_metadata(context, db.metadata) == []
            db.engine.dispose()
    finally:
        if pg_name:
            drop_postgres_database(pg_name)
