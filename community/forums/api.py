"""JSON API for threads, posts and events. (Skeleton: filled in by the forums work.)"""

from __future__ import annotations

from community.api.common import api_blueprint

blp = api_blueprint("api_forums", __name__, "Threads, posts, search and the event stream.")
