"""Fetch-and-authorize for the admin area: site admins only."""

from __future__ import annotations

from community.accounts.models import User
from community.errors import Forbidden, Unauthorized


def access_admin_area(user: User) -> None:
    """Anonymous callers are asked to sign in; signed-in non-admins are refused (403).

    The admin area's existence is no secret (its link is in every admin's header), so a
    403 says nothing that a 404 would hide.
    """
    if not user.is_authenticated:
        raise Unauthorized()
    if not user.is_admin:
        raise Forbidden()
