"""JSON API for agreements. (Skeleton: filled in by the agreements work.)"""

from __future__ import annotations

from community.api.common import api_blueprint

blp = api_blueprint("api_agreements", __name__, "Confidentiality agreements and acceptance.")


@blp.route("/agreements/site", methods=["GET"])
def site_agreement():  # type: ignore[no-untyped-def]
    return {}


@blp.route("/spaces/<int:space_id>/agreement", methods=["GET"])
def space_agreement(space_id: int):  # type: ignore[no-untyped-def]
    return {}
