"""facilitation: activities, live sessions and the resource library

Revision ID: a7c1d2e3f401
Revises: 8c3d5e1f7a20
Create Date: 2026-11-26 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c1d2e3f401'
down_revision = '8c3d5e1f7a20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'activities',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('thread_id', sa.Integer(), nullable=False),
        sa.Column('space_id', sa.Integer(), nullable=False),
        sa.Column('template', sa.String(length=64), nullable=True),
        sa.Column('instructions', sa.Text(), nullable=False),
        sa.Column('dots', sa.Enum('self_awareness', 'opportunity_awareness', 'decision_learning',
                                  'transition_learning', name='dots', native_enum=False,
                                  create_constraint=False, length=32), nullable=False),
        sa.Column('visibility', sa.Enum('open', 'after_own_answer', 'after_close',
                                        name='answervisibility', native_enum=False,
                                        create_constraint=False, length=32), nullable=False),
        sa.Column('opens_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['space_id'], ['spaces.id'],
                                name=op.f('fk_activities_space_id_spaces'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['thread_id'], ['threads.id'],
                                name=op.f('fk_activities_thread_id_threads'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_activities')),
        sa.UniqueConstraint('thread_id', name=op.f('uq_activities_thread_id')),
    )
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activities_space_id'), ['space_id'], unique=False)

    op.create_table(
        'live_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('space_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('weekly', sa.Boolean(), nullable=False),
        sa.Column('repeat_until', sa.Date(), nullable=True),
        sa.Column('repeat_count', sa.Integer(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_live_sessions_created_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['space_id'], ['spaces.id'],
                                name=op.f('fk_live_sessions_space_id_spaces'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_live_sessions')),
    )
    with op.batch_alter_table('live_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_live_sessions_space_id'), ['space_id'],
                              unique=False)

    op.create_table(
        'resources',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('space_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('url', sa.String(length=2000), nullable=False),
        sa.Column('good_for', sa.Text(), nullable=False),
        sa.Column('source_org', sa.String(length=200), nullable=False),
        sa.Column('dots', sa.Enum('self_awareness', 'opportunity_awareness', 'decision_learning',
                                  'transition_learning', name='dots', native_enum=False,
                                  create_constraint=False, length=32), nullable=False),
        sa.Column('state', sa.Enum('suggested', 'approved', 'rejected', name='resourcestate',
                                   native_enum=False, create_constraint=False, length=24),
                  nullable=False),
        sa.Column('suggested_by_id', sa.Integer(), nullable=True),
        sa.Column('vetted_by_id', sa.Integer(), nullable=True),
        sa.Column('vetted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('checked_on', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['space_id'], ['spaces.id'],
                                name=op.f('fk_resources_space_id_spaces'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['suggested_by_id'], ['users.id'],
                                name=op.f('fk_resources_suggested_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['vetted_by_id'], ['users.id'],
                                name=op.f('fk_resources_vetted_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_resources')),
    )
    with op.batch_alter_table('resources', schema=None) as batch_op:
        batch_op.create_index('ix_resources_space_id_state', ['space_id', 'state'], unique=False)


def downgrade():
    with op.batch_alter_table('resources', schema=None) as batch_op:
        batch_op.drop_index('ix_resources_space_id_state')
    op.drop_table('resources')
    with op.batch_alter_table('live_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_live_sessions_space_id'))
    op.drop_table('live_sessions')
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activities_space_id'))
    op.drop_table('activities')
