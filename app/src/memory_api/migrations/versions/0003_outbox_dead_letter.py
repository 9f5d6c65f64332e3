"""Outbox dead letter: a row the vector store refuses is retried with a delay, then parked.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("vector_outbox") as table:
        table.add_column(sa.Column("last_error", sa.String(500), nullable=True))
        table.add_column(sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("parked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("vector_outbox") as table:
        table.drop_column("parked_at")
        table.drop_column("retry_at")
        table.drop_column("last_error")
