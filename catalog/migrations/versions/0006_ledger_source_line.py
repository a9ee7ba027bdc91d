"""ledger source index ends with batch and line, so duplicate marking is not quadratic

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ledger") as batch:
        batch.drop_index("ix_ledger_source")
        batch.create_index(
            "ix_ledger_source_line",
            ["source_system", "source_document_id", "batch", "line_no"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("ledger") as batch:
        batch.drop_index("ix_ledger_source_line")
        batch.create_index(
            "ix_ledger_source", ["source_system", "source_document_id"], unique=False
        )
