"""case: rows kept whole up to a page

The workflow state is deflated before it is stored (engine.workflow.state),
some 2 KB for a case in progress: with the rest of the case the row passes
PostgreSQL's default 2 KB threshold, and the state, the largest column, went
out of line to the TOAST table. Every operation on a case then read it back
from there and every step wrote it there anew (two chunks and their index
entries, and the old ones left dead: 1 MB of TOAST table for 65 cases worked
to the end). Compression cannot shrink it further. With the threshold at a
page (8160 bytes) a case row stays whole; a row past it (a very large form)
is still compressed and moved out as before. Keeping only the state in the
row (storage MAIN) is not enough: PostgreSQL then moves the small JSON
columns out instead, to bring the row under 2 KB.

Measured in-process on open-restaurant cases, 60 a run, twelve runs
alternated, PostgreSQL's CPU over the driver's own (the machine's speed
swung 1.5x): median 0.375 -> 0.361; a step's write with its COMMIT over the
driver's CPU 44.2 -> 42.3 us/ms; no TOAST table growth. Values stored before
move into the row at their next write. SQLite has no such setting.

Revision ID: 9b41c7e2d5a3
Revises: 5d2e8b1c4a6f
Create Date: 2026-11-22 06:20:00
"""
from alembic import op


revision = '9b41c7e2d5a3'
down_revision = '5d2e8b1c4a6f'
branch_labels = None
depends_on = None


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _postgres():
        op.execute('ALTER TABLE "case" SET (toast_tuple_target = 8160)')


def downgrade() -> None:
    if _postgres():
        op.execute('ALTER TABLE "case" RESET (toast_tuple_target)')
