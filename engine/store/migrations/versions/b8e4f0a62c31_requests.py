"""requests (接诉即办): the category tree, requests, their daily visit counts per unit and
monthly counts per category and region

Revision ID: b8e4f0a62c31
Revises: a7c3d9e51b20
Create Date: 2026-12-02 18:40:00
"""
import sqlalchemy as sa
from alembic import op

import engine.store.models

revision = 'b8e4f0a62c31'
down_revision = 'a7c3d9e51b20'
branch_labels = None
depends_on = None

UTC = engine.store.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'category',
        sa.Column('code', sa.String(length=12), nullable=False),
        sa.Column('name', sa.JSON(), nullable=False),
        sa.Column('parent', sa.String(length=12), nullable=True),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('code'),
    )
    op.create_table(
        'request',
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('type', sa.String(length=16), nullable=False),
        sa.Column('category', sa.String(length=12), nullable=False),
        sa.Column('region', sa.String(length=12), nullable=False),
        sa.Column('street', sa.String(length=100), nullable=True),
        sa.Column('urgency', sa.String(length=12), nullable=False),
        sa.Column('caller_phone', sa.String(length=20), nullable=False),
        sa.Column('address', sa.String(length=200), nullable=False),
        sa.Column('title', sa.String(length=100), nullable=False),
        sa.Column('created_at', UTC, nullable=False),
        sa.Column('answered_at', UTC, nullable=True),
        sa.Column('linked_to', sa.Integer(), nullable=True),
        sa.Column('unit', sa.String(length=100), nullable=True),
        sa.Column('replied_at', UTC, nullable=True),
        sa.Column('contacted_at', UTC, nullable=True),
        sa.Column('contact_late', sa.Boolean(), nullable=False),
        sa.Column('resolved', sa.Boolean(), nullable=True),
        sa.Column('visited_at', UTC, nullable=True),
        sa.Column('visit', sa.JSON(), nullable=True),
        sa.Column('reopens', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['case.id']),
        sa.ForeignKeyConstraint(['linked_to'], ['case.id']),
        sa.PrimaryKeyConstraint('case_id'),
    )
    op.create_index('ix_request_phone', 'request', ['caller_phone', 'created_at'])
    op.create_index('ix_request_region', 'request', ['region', 'created_at'])
    op.create_index('ix_request_created', 'request', ['created_at'])
    op.create_index('ix_request_linked', 'request', ['linked_to'],
                    postgresql_where=sa.text('linked_to IS NOT NULL'),
                    sqlite_where=sa.text('linked_to IS NOT NULL'))
    op.create_table(
        'request_stat',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('unit', sa.String(length=100), nullable=False),
        sa.Column('visited', sa.Integer(), nullable=False),
        sa.Column('contacted', sa.Integer(), nullable=False),
        sa.Column('resolved', sa.Integer(), nullable=False),
        sa.Column('satisfied', sa.Integer(), nullable=False),
        sa.Column('basically', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('day', 'unit'),
    )
    op.create_table(
        'request_count',
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('category', sa.String(length=12), nullable=False),
        sa.Column('region', sa.String(length=12), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('month', 'category', 'region'),
    )


def downgrade() -> None:
    op.drop_table('request_count')
    op.drop_table('request_stat')
    for index in ('ix_request_linked', 'ix_request_created', 'ix_request_region',
                  'ix_request_phone'):
        op.drop_index(index, table_name='request')
    op.drop_table('request')
    op.drop_table('category')
