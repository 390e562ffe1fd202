"""Rows of the authorization sweep's world for activities, live sessions and resources."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from community.database import utcnow
from community.extensions import db
from community.facilitation import activities, resources, sessions
from community.forums.access import Reader
from community.spaces.models import Space
from community.spaces.queries import get_membership

FAR = "2099-01-01T10:00:00+00:00"


def tools_world(space_id: int, facilitator: Any) -> dict[str, Any]:
    space = db.session.get(Space, space_id)
    membership = get_membership(facilitator, space_id)
    activity = activities.check_create_activity(space, membership, template="values",
                                                closes_at=utcnow() + timedelta(days=3))
    start = utcnow() + timedelta(days=1)
    session = sessions.check_create_session(space, membership, title="Drop-in", starts_at=start,
                                            ends_at=start + timedelta(hours=1))
    resource = resources.check_add_resource(Reader(space, membership), {
        "title": "Outlook", "url": "https://example.org/", "dots": "opportunity_awareness"})
    db.session.commit()
    return {"activity": activity.id, "live_session": session.id, "resource": resource.id}
