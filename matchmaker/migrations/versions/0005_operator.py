"""operator: policies, residencies, support records, import batches

Revision ID: 0005_operator
Revises: 0001_foundation
Create Date: 2026-11-22 22:27:14.805787
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op



revision: str = '0005_operator'
down_revision: str | Sequence[str] | None = '0001_foundation'
branch_labels: str | Sequence[str] | None = ('operator',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('operator_import_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_operator_import_batches_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operator_import_batches'))
    )
    op.create_table('operator_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title_en', sa.String(length=200), nullable=False),
    sa.Column('title_zh', sa.String(length=200), nullable=False),
    sa.Column('issuer_en', sa.String(length=200), nullable=False),
    sa.Column('issuer_zh', sa.String(length=200), nullable=False),
    sa.Column('document_number', sa.String(length=80), nullable=False),
    sa.Column('summary_en', sa.Text(), nullable=False),
    sa.Column('summary_zh', sa.Text(), nullable=False),
    sa.Column('full_text_en', sa.Text(), nullable=False),
    sa.Column('full_text_zh', sa.Text(), nullable=False),
    sa.Column('sectors', sa.String(length=1000), nullable=False),
    sa.Column('stages', sa.String(length=1000), nullable=False),
    sa.Column('founder_backgrounds', sa.String(length=1000), nullable=False),
    sa.Column('locations', sa.String(length=1000), nullable=False),
    sa.Column('max_company_age_years', sa.Integer(), nullable=True),
    sa.Column('max_team_size', sa.Integer(), nullable=True),
    sa.Column('requires_makerspace', sa.Boolean(), nullable=False),
    sa.Column('benefit_amount', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('benefit_currency', sa.String(length=3), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('chain_services', sa.String(length=1000), nullable=False),
    sa.Column('is_published', sa.Boolean(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('benefit_amount IS NULL OR benefit_amount >= 0', name=op.f('ck_operator_policies_benefit_nonnegative')),
    sa.CheckConstraint('max_company_age_years IS NULL OR max_company_age_years >= 0', name=op.f('ck_operator_policies_age_nonnegative')),
    sa.CheckConstraint('max_team_size IS NULL OR max_team_size >= 1', name=op.f('ck_operator_policies_team_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_operator_policies_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operator_policies')),
    sa.UniqueConstraint('slug', name=op.f('uq_operator_policies_slug'))
    )
    op.create_table('operator_residencies',
    sa.Column('startup_id', sa.Integer(), nullable=False),
    sa.Column('since', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['startup_id'], ['startups.id'], name=op.f('fk_operator_residencies_startup_id_startups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('startup_id', name=op.f('pk_operator_residencies'))
    )
    op.create_table('operator_support_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('startup_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('policy_id', sa.Integer(), nullable=True),
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('granted_on', sa.Date(), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('amount IS NULL OR amount >= 0', name=op.f('ck_operator_support_records_amount_nonnegative')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_operator_support_records_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['policy_id'], ['operator_policies.id'], name=op.f('fk_operator_support_records_policy_id_operator_policies'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['startup_id'], ['startups.id'], name=op.f('fk_operator_support_records_startup_id_startups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operator_support_records'))
    )
    with op.batch_alter_table('operator_support_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_operator_support_records_policy_id'), ['policy_id'], unique=False)
        batch_op.create_index('ix_operator_support_records_startup_kind', ['startup_id', 'kind'], unique=False)


def downgrade() -> None:
    op.drop_table("operator_support_records")
    op.drop_table("operator_residencies")
    op.drop_table("operator_policies")
    op.drop_table("operator_import_batches")
