"""SAR workbench: what the review pages record beyond 0014 (issue 15)

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # slot reserved; its tables are added by the work named above


def downgrade() -> None:
    pass
