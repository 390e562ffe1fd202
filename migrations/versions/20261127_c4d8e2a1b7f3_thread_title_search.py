"""thread title search

Search finds a thread by its title as well as by its posts' text: an FTS5 table over
threads.title kept by triggers on SQLite, a GIN expression index on PostgreSQL (both
outside the ORM metadata, like the post search of e26415b0fd99).

Revision ID: c4d8e2a1b7f3
Revises: 74be87b60626
Create Date: 2026-11-22 03:30:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c4d8e2a1b7f3'
down_revision = '74be87b60626'
branch_labels = None
depends_on = None

SQLITE_UP = [
    "CREATE VIRTUAL TABLE thread_search USING fts5("
    "title, content='threads', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER threads_search_insert AFTER INSERT ON threads BEGIN "
    "INSERT INTO thread_search(rowid, title) VALUES (new.id, new.title); END",
    "CREATE TRIGGER threads_search_delete AFTER DELETE ON threads BEGIN "
    "INSERT INTO thread_search(thread_search, rowid, title) VALUES ('delete', old.id, old.title); "
    "END",
    "CREATE TRIGGER threads_search_update AFTER UPDATE OF title ON threads BEGIN "
    "INSERT INTO thread_search(thread_search, rowid, title) VALUES ('delete', old.id, old.title); "
    "INSERT INTO thread_search(rowid, title) VALUES (new.id, new.title); END",
    "INSERT INTO thread_search(rowid, title) SELECT id, title FROM threads",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS threads_search_update",
    "DROP TRIGGER IF EXISTS threads_search_delete",
    "DROP TRIGGER IF EXISTS threads_search_insert",
    "DROP TABLE IF EXISTS thread_search",
]
POSTGRES_UP = [
    "CREATE INDEX ix_threads_search ON threads USING gin (to_tsvector('simple', title))",
]
POSTGRES_DOWN = ["DROP INDEX IF EXISTS ix_threads_search"]


def _run(sqlite, postgresql):
    statements = {"sqlite": sqlite, "postgresql": postgresql}
    for statement in statements.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def upgrade():
    _run(SQLITE_UP, POSTGRES_UP)


def downgrade():
    _run(SQLITE_DOWN, POSTGRES_DOWN)
