"""Forums: threads and posts in spaces, revisions, mentions, read state and search."""
