"""Models of the facilitator tools, one module per feature (imported so Alembic sees them)."""

from community.facilitation.models import (  # noqa: F401
    activities,
    conversations,
    resources,
    rhythm,
    sessions,
)
