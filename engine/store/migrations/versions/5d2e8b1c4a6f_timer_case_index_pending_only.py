"""timer: index a case's pending timers only

Every operation on a case reads its pending timers. The plain index on
case_id also held every fired and cancelled timer, and next to the partial
index of pending timers by due time the planner of a young database (few
rows in its statistics) chose the latter and filtered every pending timer.

Revision ID: 5d2e8b1c4a6f
Revises: 3c1f0e2a9b7d
Create Date: 2026-11-21 21:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '5d2e8b1c4a6f'
down_revision = '3c1f0e2a9b7d'
branch_labels = None
depends_on = None

PENDING = sa.text('fired_at IS NULL AND cancelled_at IS NULL')


def upgrade() -> None:
    with op.batch_alter_table('timer', schema=None) as batch_op:
        batch_op.drop_index('ix_timer_case_id')
        batch_op.create_index('ix_timer_case_pending', ['case_id'], unique=False,
                              postgresql_where=PENDING, sqlite_where=PENDING)


def downgrade() -> None:
    with op.batch_alter_table('timer', schema=None) as batch_op:
        batch_op.drop_index('ix_timer_case_pending', postgresql_where=PENDING,
                            sqlite_where=PENDING)
        batch_op.create_index('ix_timer_case_id', ['case_id'], unique=False)
