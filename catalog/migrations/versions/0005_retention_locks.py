"""retention decision input digests; what the blob store was asked to lock

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # An empty digest matches nothing, so every existing decision is made again once.
    with op.batch_alter_table("retention_decisions") as batch:
        batch.add_column(
            sa.Column("inputs", sa.String(length=32), nullable=False, server_default="")
        )
    op.create_table(
        "retention_blob_locks",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("retain_until", sa.Date(), nullable=True),
        sa.Column("legal_hold", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )


def downgrade() -> None:
    op.drop_table("retention_blob_locks")
    with op.batch_alter_table("retention_decisions") as batch:
        batch.drop_column("inputs")
