"""web import runs keep their report: the mapping preview, warnings and the error count

``web_import_runs`` gains ``report`` (JSON): how each file's header was read (header row,
column -> field, unmapped columns, first rows), the warnings (totals and notes rows, ignored
columns), the total number of errors (the run keeps only the first of them), and the options
(sheet, mapping file) the confirmation must import with.

Revision ID: 0006_imports
Revises: 0008_name_review
Create Date: 2026-12-06 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006_imports'
down_revision = '0007_user_scopes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('web_import_runs') as batch:
        batch.add_column(sa.Column('report', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('web_import_runs') as batch:
        batch.drop_column('report')
