"""residual records say whether a document was destroyed or transferred, and to which package

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("destruction_records") as batch:
        batch.add_column(
            sa.Column("disposal_action", sa.String(20), nullable=False, server_default="destroy")
        )
        batch.add_column(sa.Column("transfer_package", sa.String(300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("destruction_records") as batch:
        batch.drop_column("transfer_package")
        batch.drop_column("disposal_action")
