"""CMS interface: service accounts, API keys, idempotency keys, legacy URLs (issue 16)

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # slot reserved; its tables are added by the work named above


def downgrade() -> None:
    pass
