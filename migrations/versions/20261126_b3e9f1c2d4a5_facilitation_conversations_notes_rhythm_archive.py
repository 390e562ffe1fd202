"""facilitation: one-to-one conversations, member notes, slow mode, timers, archives

Revision ID: b3e9f1c2d4a5
Revises: a7c1d2e3f401
Create Date: 2026-11-26 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3e9f1c2d4a5'
down_revision = 'a7c1d2e3f401'
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        'conversations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('space_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('created_at', TS, nullable=False),
        sa.Column('last_message_at', TS, nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['memberships.id'],
                                name=op.f('fk_conversations_member_id_memberships'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['space_id'], ['spaces.id'],
                                name=op.f('fk_conversations_space_id_spaces'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_conversations')),
        sa.UniqueConstraint('space_id', 'member_id',
                            name=op.f('uq_conversations_space_id_member_id')))
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversations_member_id'), ['member_id'],
                              unique=False)

    op.create_table(
        'conversation_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('conversation_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('source', sa.Text(), nullable=False),
        sa.Column('body_html', sa.Text(), nullable=False),
        sa.Column('held', sa.Boolean(), nullable=False),
        sa.Column('held_reason', sa.String(length=200), nullable=True),
        sa.Column('created_at', TS, nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['memberships.id'],
                                name=op.f('fk_conversation_messages_author_id_memberships'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'],
                                name=op.f('fk_conversation_messages_conversation_id_conversations'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation_messages')))
    with op.batch_alter_table('conversation_messages', schema=None) as batch_op:
        batch_op.create_index('ix_conversation_messages_conversation_id_id',
                              ['conversation_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_conversation_messages_author_id'), ['author_id'],
                              unique=False)

    op.create_table(
        'member_notes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('space_id', sa.Integer(), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('source', sa.Text(), nullable=False),
        sa.Column('body_html', sa.Text(), nullable=False),
        sa.Column('created_at', TS, nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'],
                                name=op.f('fk_member_notes_author_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['space_id'], ['spaces.id'],
                                name=op.f('fk_member_notes_space_id_spaces'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['subject_id'], ['memberships.id'],
                                name=op.f('fk_member_notes_subject_id_memberships'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_member_notes')))
    with op.batch_alter_table('member_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_notes_subject_id'), ['subject_id'],
                              unique=False)

    op.create_table(
        'thread_slow_modes',
        sa.Column('thread_id', sa.Integer(), nullable=False),
        sa.Column('minutes', sa.Integer(), nullable=False),
        sa.Column('set_by_id', sa.Integer(), nullable=True),
        sa.Column('set_at', TS, nullable=False),
        sa.ForeignKeyConstraint(['set_by_id'], ['users.id'],
                                name=op.f('fk_thread_slow_modes_set_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['thread_id'], ['threads.id'],
                                name=op.f('fk_thread_slow_modes_thread_id_threads'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('thread_id', name=op.f('pk_thread_slow_modes')))

    op.create_table(
        'thread_timers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('space_id', sa.Integer(), nullable=False),
        sa.Column('thread_id', sa.Integer(), nullable=True),
        sa.Column('action', sa.Enum('open', 'close', 'announce', name='timeraction',
                                    native_enum=False, create_constraint=False, length=24),
                  nullable=False),
        sa.Column('run_at', TS, nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', TS, nullable=False),
        sa.Column('done_at', TS, nullable=True),
        sa.Column('outcome', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['memberships.id'],
                                name=op.f('fk_thread_timers_created_by_id_memberships'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['space_id'], ['spaces.id'],
                                name=op.f('fk_thread_timers_space_id_spaces'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['thread_id'], ['threads.id'],
                                name=op.f('fk_thread_timers_thread_id_threads'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_thread_timers')))
    with op.batch_alter_table('thread_timers', schema=None) as batch_op:
        batch_op.create_index('ix_thread_timers_due', ['done_at', 'run_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_thread_timers_space_id'), ['space_id'],
                              unique=False)

    op.create_table(
        'space_archives',
        sa.Column('space_id', sa.Integer(), nullable=False),
        sa.Column('archived_by_id', sa.Integer(), nullable=True),
        sa.Column('archived_at', TS, nullable=False),
        sa.Column('read_until', TS, nullable=False),
        sa.Column('access_ended_at', TS, nullable=True),
        sa.ForeignKeyConstraint(['archived_by_id'], ['users.id'],
                                name=op.f('fk_space_archives_archived_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['space_id'], ['spaces.id'],
                                name=op.f('fk_space_archives_space_id_spaces'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('space_id', name=op.f('pk_space_archives')))


def downgrade():
    op.drop_table('space_archives')
    with op.batch_alter_table('thread_timers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_thread_timers_space_id'))
        batch_op.drop_index('ix_thread_timers_due')
    op.drop_table('thread_timers')
    op.drop_table('thread_slow_modes')
    with op.batch_alter_table('member_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_notes_subject_id'))
    op.drop_table('member_notes')
    with op.batch_alter_table('conversation_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversation_messages_author_id'))
        batch_op.drop_index('ix_conversation_messages_conversation_id_id')
    op.drop_table('conversation_messages')
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversations_member_id'))
    op.drop_table('conversations')
