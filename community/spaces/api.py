"""JSON API for spaces. (Skeleton: filled in by the spaces work.)"""

from __future__ import annotations

from community.api.common import api_blueprint

blp = api_blueprint("api_spaces", __name__, "Spaces, memberships, invitations, join requests.")
