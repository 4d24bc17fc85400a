"""state every server process shares: data versions for caches, failed logins

``data_versions`` holds a counter per audited entity, moved with every audited write (see
``observatory.registry.audit``), so a figure cache in any worker knows what changed with one
small query. ``web_login_failures`` moves the login limiter's counts out of process memory.
The versions start empty: every cache starts cold after an upgrade anyway.

Revision ID: 0006b_shared_state
Revises: 0005_audit_chain_tokens
Create Date: 2026-12-06 07:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006b_shared_state'
down_revision = '0006_imports'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'data_versions',
        sa.Column('entity', sa.String(length=60), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('entity', name=op.f('pk_data_versions')))
    op.create_table(
        'web_login_failures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=120), nullable=False),
        sa.Column('at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_web_login_failures')))
    with op.batch_alter_table('web_login_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_login_failures_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_web_login_failures_key'), ['key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('web_login_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_login_failures_key'))
        batch_op.drop_index(batch_op.f('ix_web_login_failures_at'))
    op.drop_table('web_login_failures')
    op.drop_table('data_versions')
