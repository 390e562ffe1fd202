"""Full-text search of a space's posts and thread titles: SQLite FTS5 or PostgreSQL.

The index structures live outside the ORM metadata (created by the migrations): FTS5
tables over posts.source and threads.title kept up to date by triggers on SQLite, and
GIN expression indexes on PostgreSQL. Whatever the indexes hold, the query itself keeps
to the reader's space and to published posts.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from community.extensions import db
from community.forums import queries
from community.forums.access import Reader
from community.forums.models import Post, PostState, Thread
from community.spaces.models import Membership

MAX_TERMS = 8
_TERM = re.compile(r"\w+", re.UNICODE)
PG_CONFIG = "simple"  # language-neutral: spaces write Danish, Norwegian and English


def terms_of(query: str) -> list[str]:
    """The words of a query, with every search-syntax character dropped."""
    return _TERM.findall(query or "")[:MAX_TERMS]


def search_posts(reader: Reader, query: str, *, before: int | None = None,
                 limit: int = 30) -> tuple[list[Post], int | None]:
    """Published posts of the reader's space matching every word (as a prefix), newest
    first; returns the posts and the `before` cursor of the next page."""
    terms = terms_of(query)
    if not terms:
        return [], None
    if db.session.get_bind().dialect.name == "postgresql":
        config = sa.literal_column(f"'{PG_CONFIG}'")
        tsquery = sa.func.to_tsquery(config, " & ".join(f"{term}:*" for term in terms))
        in_text = sa.func.to_tsvector(config, Post.source).op("@@")(tsquery)
        titled = sa.func.to_tsvector(config, Thread.title).op("@@")(tsquery)
    else:
        fts = " ".join('"{}"*'.format(term.replace('"', '""')) for term in terms)
        in_text = Post.id.in_(_fts_rowids("post_search", fts))
        titled = Thread.id.in_(_fts_rowids("thread_search", fts))
    # A thread found by its title is shown by its opening post.
    openings = (sa.select(sa.func.min(Post.id)).join(Thread, Thread.id == Post.thread_id)
                .where(Thread.space_id == reader.space.id, titled).group_by(Thread.id))
    match = sa.or_(in_text, Post.id.in_(openings))
    stmt = (sa.select(Post).where(match, Post.space_id == reader.space.id,
                                  Post.state == PostState.PUBLISHED,
                                  queries.visible_answers(reader))
            .options(joinedload(Post.thread), joinedload(Post.author).joinedload(Membership.user))
            .order_by(Post.id.desc()).limit(limit + 1))
    if before is not None:
        stmt = stmt.where(Post.id < before)
    posts = list(db.session.scalars(stmt).unique())
    more = len(posts) > limit
    posts = posts[:limit]
    return posts, (posts[-1].id if more else None)


def _fts_rowids(table: str, fts: str) -> sa.Select[tuple[int]]:
    return (sa.select(sa.literal_column("rowid")).select_from(sa.table(table))
            .where(sa.literal_column(table).op("MATCH")(fts)))


# Made by hand in the migrations, so autogenerate must neither drop nor compare them.
SEARCH_STRUCTURES = ("post_search", "ix_posts_search", "thread_search", "ix_threads_search")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic `include_name` hook: leave the search structures out of autogenerate."""
    return not (name or "").startswith(SEARCH_STRUCTURES)
