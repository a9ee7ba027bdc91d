"""renditions of documents (issue 13, section 5)

One PDF a person can read for each version of a document, stored as a blob like the original
(catalog/models_renditions.py, docs/decisions/0027). A row with no sha256 records why the
rendition could not be made, so it is not tried again for that version.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "renditions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("mime", sa.String(length=100), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=30), nullable=False),
        sa.Column("reason", sa.String(length=100), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("made_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.ForeignKeyConstraint(["sha256"], ["blobs.sha256"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("document_id", "version"),
    )
    op.create_index("ix_renditions_document_id", "renditions", ["document_id"])
    op.create_index("ix_renditions_source_sha256", "renditions", ["source_sha256"])
    op.create_index("ix_renditions_sha256", "renditions", ["sha256"])


def downgrade() -> None:
    op.drop_index("ix_renditions_sha256", "renditions")
    op.drop_index("ix_renditions_source_sha256", "renditions")
    op.drop_index("ix_renditions_document_id", "renditions")
    op.drop_table("renditions")
