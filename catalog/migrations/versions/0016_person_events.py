"""CMS interface: person events (merge, split, identifier changes) and the webhook outbox (issue 16)

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # slot reserved; its tables are added by the work named above


def downgrade() -> None:
    pass
