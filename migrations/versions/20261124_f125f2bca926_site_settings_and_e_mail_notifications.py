"""privacy: site settings and e-mail notifications

site_settings (the admins' confidentiality rules, one row), email_preferences (per-user
opt-outs) and email_outbox (notices still to send by `community notify`/`digest`).
Post.removed_by gains the value "retention" (a plain string column: no DDL).

Revision ID: f125f2bca926
Revises: 4da8f0b9042c
Create Date: 2026-11-24 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f125f2bca926'
down_revision = '4da8f0b9042c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('site_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('default_anonymity', sa.String(length=24), nullable=False),
    sa.Column('facilitators_see_identity', sa.Boolean(), nullable=False),
    sa.Column('default_retention_days', sa.Integer(), nullable=True),
    sa.Column('max_retention_days', sa.Integer(), nullable=True),
    sa.Column('export_threads', sa.Boolean(), nullable=False),
    sa.Column('signup', sa.String(length=16), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site_settings'))
    )
    op.create_table('email_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('space_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['space_id'], ['spaces.id'], name=op.f('fk_email_outbox_space_id_spaces'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_email_outbox_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_email_outbox')),
    sa.UniqueConstraint('kind', 'source_id', 'user_id', name=op.f('uq_email_outbox_kind_source_id_user_id'))
    )
    with op.batch_alter_table('email_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_email_outbox_unsent', ['sent_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_email_outbox_user_id'), ['user_id'], unique=False)

    op.create_table('email_preferences',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('mentions', sa.Boolean(), nullable=False),
    sa.Column('replies', sa.Boolean(), nullable=False),
    sa.Column('queue', sa.Boolean(), nullable=False),
    sa.Column('digest', sa.Boolean(), nullable=False),
    sa.Column('last_digest_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_email_preferences_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_email_preferences'))
    )


def downgrade():
    op.drop_table('email_preferences')
    with op.batch_alter_table('email_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_email_outbox_user_id'))
        batch_op.drop_index('ix_email_outbox_unsent')

    op.drop_table('email_outbox')
    op.drop_table('site_settings')
