"""technology fairs (对接会) grouping matched pairs

``fairs`` (code, bilingual name, date, place, who created it) and ``fair_matches`` (which
match was presented at which fair; a pair once per fair).

Revision ID: 0009_fairs
Revises: 0007_user_scopes
Create Date: 2026-12-06 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009_fairs'
down_revision = '0006b_shared_state'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name_zh", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(300), nullable=True),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("place", sa.String(200), nullable=True),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.UniqueConstraint("code", name=op.f("uq_fairs_code")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fairs")),
    )
    op.create_index(op.f("ix_fairs_held_on"), "fairs", ["held_on"])
    op.create_table(
        "fair_matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fair_id", sa.Integer(), sa.ForeignKey("fairs.id", name=op.f(
            "fk_fair_matches_fair_id_fairs")), nullable=False),
        sa.Column("match_id", sa.Integer(), sa.ForeignKey("matches.id", name=op.f(
            "fk_fair_matches_match_id_matches")), nullable=False),
        sa.Column("added_on", sa.Date(), nullable=False),
        sa.Column("added_by", sa.String(120), nullable=False),
        sa.UniqueConstraint("fair_id", "match_id", name="fair_match"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fair_matches")),
    )
    op.create_index(op.f("ix_fair_matches_fair_id"), "fair_matches", ["fair_id"])
    op.create_index(op.f("ix_fair_matches_match_id"), "fair_matches", ["match_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_fair_matches_match_id"), table_name="fair_matches")
    op.drop_index(op.f("ix_fair_matches_fair_id"), table_name="fair_matches")
    op.drop_table("fair_matches")
    op.drop_index(op.f("ix_fairs_held_on"), table_name="fairs")
    op.drop_table("fairs")
