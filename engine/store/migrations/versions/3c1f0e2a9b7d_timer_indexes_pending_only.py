"""timer indexes: pending-only for the scheduler, fired-only for monitoring

(fired_at, due_at) also held cancelled timers, which pile up over the years,
and a plain index on fired_at tempted SQLite's planner into reading every
unfired row; the scheduler's poll must read only the partial index of pending
timers (ix_timer_due).

Revision ID: 3c1f0e2a9b7d
Revises: 0748588895d5
Create Date: 2026-11-21 17:25:00
"""
import sqlalchemy as sa
from alembic import op

revision = '3c1f0e2a9b7d'
down_revision = '0748588895d5'
branch_labels = None
depends_on = None

FIRED = sa.text('fired_at IS NOT NULL')


def upgrade() -> None:
    with op.batch_alter_table('timer', schema=None) as batch_op:
        batch_op.drop_index('ix_timer_pending')
        batch_op.drop_index('ix_timer_fired_at')
        batch_op.create_index('ix_timer_fired_at', ['fired_at'], unique=False,
                              postgresql_where=FIRED, sqlite_where=FIRED)


def downgrade() -> None:
    with op.batch_alter_table('timer', schema=None) as batch_op:
        batch_op.drop_index('ix_timer_fired_at', postgresql_where=FIRED, sqlite_where=FIRED)
        batch_op.create_index('ix_timer_fired_at', ['fired_at'], unique=False)
        batch_op.create_index('ix_timer_pending', ['fired_at', 'due_at'], unique=False)
