"""realtime: presence setting and event horizons

Membership.show_presence (a member can hide from a space's "who is here" list) and
event_horizons (how far each space's events were pruned, for `gap_too_large`).

Revision ID: 5b1e2c7d9a40
Revises: e26415b0fd99
Create Date: 2026-11-23 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b1e2c7d9a40'
down_revision = 'e26415b0fd99'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('show_presence', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
    op.create_table(
        'event_horizons',
        sa.Column('space_id', sa.Integer(), nullable=False),
        sa.Column('pruned_through', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  nullable=False),
        sa.Column('pruned_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['space_id'], ['spaces.id'],
                                name=op.f('fk_event_horizons_space_id_spaces'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('space_id', name=op.f('pk_event_horizons')),
    )


def downgrade():
    op.drop_table('event_horizons')
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_column('show_presence')
