"""moderation: index for the safety banner

The banner shown on every page looks for unhandled safety concerns; without this index
it walked every pending review item (tens of thousands in a big site).

Revision ID: 8c3d5e1f7a20
Revises: f125f2bca926
Create Date: 2026-11-25 01:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '8c3d5e1f7a20'
down_revision = 'f125f2bca926'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.create_index('ix_review_items_safety', ['safety', 'state', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.drop_index('ix_review_items_safety')
