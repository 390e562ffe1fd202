"""post published_at for tombstones

A tombstone is shown to peers only when the post had been shown to them: removing a
held post or a whisper must not reveal that it existed.

Revision ID: 74be87b60626
Revises: b3e9f1c2d4a5
Create Date: 2026-11-22 01:40:22.464758

"""
import sqlalchemy as sa
from alembic import op

revision = '74be87b60626'
down_revision = 'b3e9f1c2d4a5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_at', sa.DateTime(timezone=True), nullable=True))
    # Existing published posts were shown when written; existing tombstones are assumed
    # to have been shown too (the state before removal was not recorded).
    op.execute("UPDATE posts SET published_at = created_at "
               "WHERE state IN ('published', 'removed')")


def downgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('published_at')
