"""JSON API for admins. (Skeleton: filled in by the admin work.)"""

from __future__ import annotations

from community.api.common import api_blueprint

blp = api_blueprint("api_admin", __name__, "Site administration and the audit log.")
