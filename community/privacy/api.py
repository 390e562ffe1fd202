"""JSON API for one's own data: export, erasure, e-mail settings."""

from __future__ import annotations

from community.api.common import api_blueprint

blp = api_blueprint("api_privacy", __name__, "Your own data: export, erasure, e-mail settings.")
