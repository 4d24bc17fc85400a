"""accounts get a home region: what a user reads and edits is that region's subtree

``web_users.region_code`` (a GB/T 2260 code in ``regions``; empty = the whole deployment, as
every account was before) and ``web_users.disabled_at`` (when an administrator disabled the
account; ``active`` stays the flag the login checks).

Revision ID: 0007_user_scopes
Revises: 0005_audit_chain_tokens
Create Date: 2026-12-06 07:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007_user_scopes'
down_revision = '0008_name_review'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('web_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('region_code', sa.String(length=6), nullable=True))
        batch_op.add_column(sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_web_users_region_code'), ['region_code'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_web_users_region_code_regions'), 'regions',
                                    ['region_code'], ['code'])


def downgrade() -> None:
    with op.batch_alter_table('web_users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_web_users_region_code_regions'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_web_users_region_code'))
        batch_op.drop_column('disabled_at')
        batch_op.drop_column('region_code')
