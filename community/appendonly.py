"""Append-only rows (audit entries, moderation log rows, events), written at once or
together.

These rows are never read back in the transaction that writes them, so an action may
collect them and write them when it is done: inside `together()`, `append` keeps the
rows and the block's end writes them all, on PostgreSQL in one statement (a CTE per
table), on SQLite one INSERT per table. A claim or a decision in the moderation queue
wrote three to five such INSERTs, each a round trip to PostgreSQL. Outside a block each
row is written at once.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa

from community.extensions import db

OnId = Callable[[int], None]  # told the id of a stored row (events are published by id)
_BATCH = "append_only_batch"


def append(table: sa.Table, row: dict[str, Any], *, on_id: OnId | None = None) -> None:
    """Store `row` in `table`: at once, or at the end of the enclosing `together()`.
    `on_id` is called with the new row's id once it is stored. Rows of one table must
    all give the same columns."""
    batch = db.session().info.get(_BATCH)
    if batch is not None:
        batch.append((table, row, on_id))
        return
    _write([(table, row, on_id)])


def batching() -> bool:
    """Whether appended rows wait for the end of a `together()` block."""
    return _BATCH in db.session().info


@contextlib.contextmanager
def together() -> Iterator[None]:
    """The rows appended in the block are written as it ends, each table's in the order
    appended. Nothing is written if the block raises (its transaction is rolled back).
    Usable as a decorator; a block inside another leaves the writing to the outer one."""
    info = db.session().info
    if _BATCH in info:
        yield
        return
    info[_BATCH] = batch = []
    try:
        yield
    finally:
        info.pop(_BATCH, None)
    if batch:
        _write(batch)


def _write(batch: list[tuple[sa.Table, dict[str, Any], OnId | None]]) -> None:
    tables: dict[sa.Table, list[tuple[dict[str, Any], OnId | None]]] = {}
    for table, row, on_id in batch:
        tables.setdefault(table, []).append((row, on_id))
    connection = db.session().connection()
    if connection.dialect.name == "postgresql":
        shape = tuple((table, tuple(rows[0][0]), len(rows)) for table, rows in tables.items())
        params = {f"{table.name}{n}_{name}": value
                  for table, rows in tables.items()
                  for n, (row, _on_id) in enumerate(rows) for name, value in row.items()}
        stored = connection.execute(_statement(shape), params).all()
        ids: dict[str, list[int]] = {}
        for table_name, row_id in stored:
            ids.setdefault(table_name, []).append(row_id)
        for table, rows in tables.items():
            _tell(rows, ids.get(table.name, []))
        return
    for table, rows in tables.items():
        if any(on_id is not None for _row, on_id in rows):
            stmt = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
            _tell(rows, connection.execute(stmt, [row for row, _on_id in rows]).scalars().all())
        else:
            connection.execute(sa.insert(table), [row for row, _on_id in rows])


def _tell(rows: list[tuple[dict[str, Any], OnId | None]], ids: list[int]) -> None:
    for (_row, on_id), row_id in zip(rows, ids, strict=True):
        if on_id is not None:
            on_id(row_id)


def ordered_insert(table: sa.Table, columns: tuple[str, ...], count: int, *, prefix: str,
                   each: Callable[[sa.Select[Any]], sa.Select[Any]] = lambda row: row
                   ) -> sa.Insert:
    """INSERT ... SELECT of `count` rows given as bind parameters `<prefix><n>_<column>`,
    inserted in the order given (sorted by position, so the ids rise in that order).
    `each` may change each row's SELECT (e.g. make it wait for a lock)."""
    rows = [each(sa.select(*[sa.bindparam(f"{prefix}{n}_{name}", type_=table.c[name].type)
                             .label(name) for name in columns],
                           sa.literal(n).label("position"))) for n in range(count)]
    given = (sa.union_all(*rows) if count > 1 else rows[0]).subquery(f"{table.name}_given")
    return sa.insert(table).from_select(
        list(columns), sa.select(*[given.c[name] for name in columns]).order_by(given.c.position))


@functools.cache
def _statement(shape: tuple[tuple[sa.Table, tuple[str, ...], int], ...]) -> sa.Select:
    """PostgreSQL: every table's rows (`<table><n>_<column>`) in one statement, built
    once per shape. Returns (table name, id) for each row, each table's in the order
    given."""
    returned = []
    for table, columns, count in shape:
        stored = (ordered_insert(table, columns, count, prefix=table.name)
                  .returning(table.c.id).cte(f"{table.name}_stored"))
        returned.append(sa.select(sa.literal(table.name).label("table_name"),
                                  stored.c.id.label("id")))
    both = sa.union_all(*returned).subquery("stored") if len(returned) > 1 else \
        returned[0].subquery("stored")
    return sa.select(both.c.table_name, both.c.id).order_by(both.c.table_name, both.c.id)
