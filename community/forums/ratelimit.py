"""The per-member posting budget, shared by the pages and the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, request

from community.extensions import limiter


def posting_limit() -> Callable[[Any], Any]:
    """POST_RATE_LIMIT per signed-in member for new threads and replies together; only
    requests that succeed count, so a mistyped form does not use up the budget."""
    return limiter.shared_limit(lambda: current_app.config["POST_RATE_LIMIT"], scope="posting",
                                exempt_when=lambda: request.method == "GET",
                                deduct_when=lambda response: response.status_code < 400)
