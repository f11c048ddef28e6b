"""organisation and dispatch: the department tree, routing tables, task lanes and kinds

Revision ID: a7c3d9e51b20
Revises: 5d2e8b1c4a6f
Create Date: 2026-12-02 18:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'a7c3d9e51b20'
down_revision = '5d2e8b1c4a6f'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), nullable=False,
                                      server_default='department'))
        batch_op.add_column(sa.Column('parent', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('region_code', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('active', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
        batch_op.add_column(sa.Column('path', sa.String(length=2000), nullable=False,
                                      server_default=''))
        batch_op.create_foreign_key('fk_department_parent', 'department', ['parent'], ['key'])
        batch_op.create_index('ix_department_parent', ['parent'], unique=False)
        batch_op.create_index('ix_department_region', ['region_code'], unique=False)
        batch_op.create_index('ix_department_path', ['path'], unique=False,
                              postgresql_ops={'path': 'text_pattern_ops'})
    op.execute("UPDATE department SET path = '/' || key || '/'")
    op.create_table(
        'routing_row',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('table_key', sa.String(length=100), nullable=False),
        sa.Column('category', sa.String(length=50), nullable=False),
        sa.Column('region', sa.String(length=30), nullable=False),
        sa.Column('department', sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_routing_lookup', 'routing_row', ['table_key', 'region', 'category'])
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lane', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=False,
                                      server_default='process'))
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('dispatch', sa.JSON(), nullable=False,
                                      server_default='{}'))
        batch_op.create_foreign_key('fk_task_parent', 'task', ['parent_id'], ['id'])
        batch_op.create_index('ix_task_parent', ['parent_id'], unique=False,
                              postgresql_where=sa.text('parent_id IS NOT NULL'),
                              sqlite_where=sa.text('parent_id IS NOT NULL'))


def downgrade() -> None:
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_parent')
        batch_op.drop_constraint('fk_task_parent', type_='foreignkey')
        for column in ('dispatch', 'parent_id', 'kind', 'lane'):
            batch_op.drop_column(column)
    op.drop_index('ix_routing_lookup', table_name='routing_row')
    op.drop_table('routing_row')
    with op.batch_alter_table('department', schema=None) as batch_op:
        for index in ('ix_department_path', 'ix_department_region', 'ix_department_parent'):
            batch_op.drop_index(index)
        batch_op.drop_constraint('fk_department_parent', type_='foreignkey')
        for column in ('path', 'active', 'region_code', 'parent', 'kind'):
            batch_op.drop_column(column)
