"""where each document date came from (issue 12, section 3)

Every document carries its date's provenance (core.states.DateSource): manifest, text, email
(file metadata) or none. Undated documents had an empty date_source; they now say "none", and
the column defaults to it. Dates already taken from the text are left as they are: whether one
was a date of birth is for a person to judge, and the search index holds them too.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE documents SET date_source = 'none' WHERE document_date IS NULL")
    with op.batch_alter_table("documents") as batch:
        batch.alter_column(
            "date_source",
            existing_type=sa.String(20),
            existing_nullable=False,
            server_default="none",
        )


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.alter_column(
            "date_source", existing_type=sa.String(20), existing_nullable=False, server_default=None
        )
    op.execute("UPDATE documents SET date_source = '' WHERE date_source = 'none'")
