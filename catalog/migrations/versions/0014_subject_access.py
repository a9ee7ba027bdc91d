"""subject access requests: the request and its clock, pauses, collated items, redactions,
releases (issue 15; catalog/models_sar.py, docs/decisions/0033)

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sar_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=100), nullable=False),
        sa.Column("received", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("requester_name", sa.String(length=300), nullable=False),
        sa.Column("requester_relationship", sa.String(length=20), nullable=False),
        sa.Column("identity_evidence", sa.Text(), nullable=False),
        sa.Column("authority_evidence", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("statutory_due", sa.Date(), nullable=False),
        sa.Column("extension_recorded", sa.Date(), nullable=True),
        sa.Column("extension_reason", sa.Text(), nullable=False),
        sa.Column("extended_due", sa.Date(), nullable=True),
        sa.Column("hold_id", sa.Integer(), nullable=True),
        sa.Column("previous_release_id", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("collated_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_by", sa.String(length=100), nullable=False),
        sa.Column("close_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.person_id"]),
        sa.ForeignKeyConstraint(["hold_id"], ["legal_holds.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sar_requests_person_id", "sar_requests", ["person_id"])
    op.create_index("ix_sar_requests_status", "sar_requests", ["status"])
    op.create_index("ix_sar_requests_due", "sar_requests", ["due"])
    op.create_table(
        "sar_pauses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sar_id", sa.Integer(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("reason_type", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("started_by", sa.String(length=100), nullable=False),
        sa.Column("ended_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["sar_id"], ["sar_requests.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sar_pauses_sar_id", "sar_pauses", ["sar_id"])
    op.create_table(
        "sar_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sar_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("how_linked", sa.String(length=20), nullable=False),
        sa.Column("link_detail", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=False),
        sa.Column("duplicate_of", sa.Integer(), nullable=True),
        sa.Column("near_duplicate_group", sa.Integer(), nullable=True),
        sa.Column("near_duplicate_score", sa.Float(), nullable=True),
        sa.Column("thread_key", sa.String(length=300), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["sar_id"], ["sar_requests.id"]),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.ForeignKeyConstraint(["duplicate_of"], ["documents.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sar_id", "document_id"),
    )
    op.create_index("ix_sar_items_sar_id", "sar_items", ["sar_id"])
    op.create_index("ix_sar_items_document_id", "sar_items", ["document_id"])
    op.create_index("ix_sar_items_status", "sar_items", ["status"])
    op.create_index("ix_sar_items_thread_key", "sar_items", ["thread_key"])
    op.create_table(
        "sar_redactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sar_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("span_start", sa.Integer(), nullable=True),
        sa.Column("span_end", sa.Integer(), nullable=True),
        sa.Column("box_x", sa.Float(), nullable=True),
        sa.Column("box_y", sa.Float(), nullable=True),
        sa.Column("box_w", sa.Float(), nullable=True),
        sa.Column("box_h", sa.Float(), nullable=True),
        sa.Column("term", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("every_occurrence", sa.Boolean(), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("made_by", sa.String(length=100), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("approved_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["sar_id"], ["sar_requests.id"]),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sar_redactions_sar_id", "sar_redactions", ["sar_id"])
    op.create_index("ix_sar_redactions_document_id", "sar_redactions", ["document_id"])
    op.create_index("ix_sar_redactions_status", "sar_redactions", ["status"])
    op.create_table(
        "sar_releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sar_id", sa.Integer(), nullable=False),
        sa.Column("bundle_sha256", sa.String(length=64), nullable=False),
        sa.Column("blob_key", sa.String(length=300), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("record_class", sa.String(length=50), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.Column("manifest", sa.JSON(), nullable=False),
        sa.Column("released_by", sa.String(length=100), nullable=False),
        sa.Column("released_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["sar_id"], ["sar_requests.id"]),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sar_releases_sar_id", "sar_releases", ["sar_id"])


def downgrade() -> None:
    op.drop_index("ix_sar_releases_sar_id", "sar_releases")
    op.drop_table("sar_releases")
    for name in ("status", "document_id", "sar_id"):
        op.drop_index(f"ix_sar_redactions_{name}", "sar_redactions")
    op.drop_table("sar_redactions")
    for name in ("thread_key", "status", "document_id", "sar_id"):
        op.drop_index(f"ix_sar_items_{name}", "sar_items")
    op.drop_table("sar_items")
    op.drop_index("ix_sar_pauses_sar_id", "sar_pauses")
    op.drop_table("sar_pauses")
    for name in ("due", "status", "person_id"):
        op.drop_index(f"ix_sar_requests_{name}", "sar_requests")
    op.drop_table("sar_requests")
