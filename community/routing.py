"""URL converters: ids in paths are bounded to what every database can store."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

# Row ids are INTEGER columns: PostgreSQL refuses anything above 2**31 - 1 in a
# comparison with them ("integer out of range"), so such ids cannot name a row.
ID_MAX = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:...>` that does not match numbers no row can have, so they answer 404."""

    def __init__(self, map, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("max", ID_MAX)
        super().__init__(map, *args, **kwargs)


def register(app: Flask) -> None:
    app.url_map.converters["int"] = IdConverter
