"""metadata versions of a document from corrected rounds (issue 12, section 3)

A round whose mapping, manifest or people file corrects a document's metadata records each
change in document_metadata_versions. batches.people_sha256 joins the mapping's and the
manifest's digests, so a round can tell that its inputs are not those of the batch it names.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "document_metadata_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("batch", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("document_id", "version"),
    )
    op.create_index(
        "ix_document_metadata_versions_document_id", "document_metadata_versions", ["document_id"]
    )
    op.create_index("ix_document_metadata_versions_batch", "document_metadata_versions", ["batch"])
    with op.batch_alter_table("batches") as batch:
        batch.add_column(
            sa.Column("people_sha256", sa.String(length=64), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("batches") as batch:
        batch.drop_column("people_sha256")
    op.drop_index("ix_document_metadata_versions_batch", "document_metadata_versions")
    op.drop_index("ix_document_metadata_versions_document_id", "document_metadata_versions")
    op.drop_table("document_metadata_versions")
