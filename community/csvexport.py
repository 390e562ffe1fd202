"""CSV downloads that spreadsheets open safely."""

from __future__ import annotations


def csv_safe(value: object) -> str:
    """Spreadsheets run cells that start with = + - @ (or a tab or CR) as formulas: quote them."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
