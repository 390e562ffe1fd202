"""Full-text search of a space's posts: SQLite FTS5 or PostgreSQL text search.

The index structures live outside the ORM metadata (created by the migration): an FTS5
table over posts.source kept up to date by triggers on SQLite, and a GIN expression
index on PostgreSQL. Whatever the index holds, the query itself keeps to the reader's
space and to published posts.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from community.extensions import db
from community.forums import queries
from community.forums.access import Reader
from community.forums.models import Post, PostState
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
        tsquery = " & ".join(f"{term}:*" for term in terms)
        match = sa.func.to_tsvector(sa.literal_column(f"'{PG_CONFIG}'"), Post.source).op("@@")(
            sa.func.to_tsquery(sa.literal_column(f"'{PG_CONFIG}'"), tsquery))
    else:
        fts = " ".join('"{}"*'.format(term.replace('"', '""')) for term in terms)
        match = Post.id.in_(sa.select(sa.literal_column("rowid"))
                            .select_from(sa.table("post_search"))
                            .where(sa.literal_column("post_search").op("MATCH")(fts)))
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


# Made by hand in the migration, so autogenerate must neither drop nor compare them.
SEARCH_STRUCTURES = ("post_search", "ix_posts_search")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic `include_name` hook: leave the search structures out of autogenerate."""
    return not (name or "").startswith(SEARCH_STRUCTURES)
