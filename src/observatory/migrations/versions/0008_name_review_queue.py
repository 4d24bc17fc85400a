"""name review queue: rows of published lists whose organisation was not resolved with certainty

``observatory import --resolve-names`` imports the rows whose firm it resolved for sure and
queues the rest in ``name_reviews`` with their candidates; ``observatory review`` and the
analysts' review page accept (importing the row) or reject them.

Revision ID: 0008_name_review
Revises: 0005_audit_chain_tokens
Create Date: 2026-12-06 07:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008_name_review'
down_revision = '0005_audit_chain_tokens'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('name_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('entity', sa.String(length=60), nullable=False),
    sa.Column('source_file', sa.String(length=300), nullable=False),
    sa.Column('row_no', sa.Integer(), nullable=True),
    sa.Column('row_key', sa.String(length=200), nullable=True),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('region_hint', sa.String(length=60), nullable=True),
    sa.Column('uscc_hint', sa.String(length=40), nullable=True),
    sa.Column('decision', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=True),
    sa.Column('candidates', sa.JSON(), nullable=False),
    sa.Column('row', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('resolved_uscc', sa.String(length=18), nullable=True),
    sa.Column('resolved_by', sa.String(length=120), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("decision IN ('review','none')", name=op.f('ck_name_reviews_decision')),
    sa.CheckConstraint("status IN ('pending','accepted','rejected')", name=op.f('ck_name_reviews_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_name_reviews'))
    )
    with op.batch_alter_table('name_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_name_reviews_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('name_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_name_reviews_status'))
    op.drop_table('name_reviews')
