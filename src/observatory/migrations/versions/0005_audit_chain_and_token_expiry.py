"""hash-chained audit log; API tokens expire and record their last use

``audit_log`` gains ``prev_hash`` and ``hash`` (see ``observatory.registry.audit``); the
upgrade computes the chain over the records already there, in id order, so an existing
database verifies at once. ``web_api_tokens`` gains ``expires_at`` and ``last_used_at``;
tokens created before never expired, so they get the default term (90 days) from the upgrade
rather than from their creation: no script stops without warning on the day of the upgrade.

Revision ID: 0005_audit_chain_tokens
Revises: 0004_eligibility_inputs
Create Date: 2026-12-06 06:00:00
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

from observatory.registry.audit import GENESIS, HASHED_FIELDS, record_hash

revision = '0005_audit_chain_tokens'
down_revision = '0004_eligibility_inputs'
branch_labels = None
depends_on = None

#: The default token term when this migration was written (``services.auth.TOKEN_DAYS``).
TOKEN_DAYS = 90
BATCH = 5000

_audit = sa.table(
    'audit_log', sa.column('id', sa.Integer()), sa.column('at', sa.DateTime(timezone=True)),
    sa.column('actor', sa.String()), sa.column('entity', sa.String()),
    sa.column('entity_key', sa.String()), sa.column('action', sa.String()),
    sa.column('before', sa.JSON()), sa.column('after', sa.JSON()),
    sa.column('operation', sa.String()), sa.column('prev_hash', sa.String()),
    sa.column('hash', sa.String()))


def _chain_existing_records() -> None:
    """Hash the records already in the log, in id order, a page at a time."""
    bind = op.get_bind()
    prev, last = GENESIS, 0
    columns = [_audit.c.id, *(_audit.c[name] for name in HASHED_FIELDS)]
    update = (sa.update(_audit).where(_audit.c.id == sa.bindparam('b_id'))
              .values(prev_hash=sa.bindparam('b_prev'), hash=sa.bindparam('b_hash')))
    while True:
        page = bind.execute(sa.select(*columns).where(_audit.c.id > last)
                            .order_by(_audit.c.id).limit(BATCH)).mappings().all()
        if not page:
            return
        params = []
        for record in page:
            digest = record_hash(prev, dict(record))
            params.append({'b_id': record['id'], 'b_prev': prev, 'b_hash': digest})
            prev = digest
        bind.execute(update, params)
        last = page[-1]['id']


def upgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
    _chain_existing_records()
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)

    with op.batch_alter_table('web_api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_used_at', sa.DateTime(timezone=True),
                                      nullable=True))
    tokens = sa.table('web_api_tokens', sa.column('expires_at', sa.DateTime(timezone=True)))
    op.get_bind().execute(sa.update(tokens).values(
        expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=TOKEN_DAYS)))
    with op.batch_alter_table('web_api_tokens', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=sa.DateTime(timezone=True),
                              nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('web_api_tokens', schema=None) as batch_op:
        batch_op.drop_column('last_used_at')
        batch_op.drop_column('expires_at')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
