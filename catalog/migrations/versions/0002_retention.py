"""retention, holds, disposal, audit chain head

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64


def _audit_chain_head() -> None:
    head = op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # The head starts where the existing chain ends, so verify holds straight after upgrade.
    bind = op.get_bind()
    count = bind.execute(sa.text("SELECT count(*) FROM audit_events")).scalar_one()
    last = bind.execute(sa.text("SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1")).scalar()
    now = datetime.now(UTC).replace(tzinfo=None)
    op.bulk_insert(head, [{"id": 1, "hash": last or GENESIS, "count": count, "updated_at": now}])


def _schedules_and_decisions() -> None:
    op.create_table(
        "retention_schedules",
        sa.Column("version", sa.String(length=200), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    op.create_table(
        "retention_decisions",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("record_class", sa.String(length=50), nullable=False),
        sa.Column("classes", sa.Text(), nullable=False),
        sa.Column("retain_until", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("children", sa.Boolean(), nullable=False),
        sa.Column("rule_version", sa.String(length=200), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("document_id"),
    )
    op.create_index("ix_retention_status_until", "retention_decisions", ["status", "retain_until"])
    op.create_table(
        "retention_overrides",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("record_class", sa.String(length=50), nullable=False),
        sa.Column("retain_until", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("document_id"),
    )


def _holds() -> None:
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("reason_type", sa.String(length=30), nullable=False),
        sa.Column("authority", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("released_at", sa.DateTime(), nullable=True),
        sa.Column("released_by", sa.String(length=100), nullable=False),
        sa.Column("release_reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_legal_holds_released_at", "legal_holds", ["released_at"])


def _disposal() -> None:
    op.create_table(
        "disposal_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposed_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("rule_version", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "disposal_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("record_class", sa.String(length=50), nullable=False),
        sa.Column("retain_until", sa.Date(), nullable=True),
        sa.Column("rule_version", sa.String(length=200), nullable=False),
        sa.Column("children", sa.Boolean(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("action_value", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["proposal_id"], ["disposal_proposals.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("proposal_id", "document_id"),
    )
    op.create_index("ix_disposal_items_proposal_id", "disposal_items", ["proposal_id"])
    op.create_index("ix_disposal_items_document_id", "disposal_items", ["document_id"])
    op.create_index("ix_disposal_items_status", "disposal_items", ["status"])
    op.create_table(
        "disposal_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("action_value", sa.String(length=200), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["disposal_items.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_disposal_reviews_item_id", "disposal_reviews", ["item_id"])


def _destruction() -> None:
    op.create_table(
        "destruction_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certificate_id", sa.String(length=64), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("source_system", sa.String(length=100), nullable=False),
        sa.Column("source_document_id", sa.String(length=300), nullable=False),
        sa.Column("sha256s", sa.JSON(), nullable=False),
        sa.Column("blob_keys_deleted", sa.JSON(), nullable=False),
        sa.Column("person_ids", sa.JSON(), nullable=False),
        sa.Column("record_class", sa.String(length=50), nullable=False),
        sa.Column("rule_version", sa.String(length=200), nullable=False),
        sa.Column("retain_until", sa.Date(), nullable=True),
        sa.Column("approvals", sa.JSON(), nullable=False),
        sa.Column("destroyed_by", sa.String(length=100), nullable=False),
        sa.Column("destroyed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_destruction_records_certificate_id", "destruction_records", ["certificate_id"]
    )
    op.create_index("ix_destruction_records_document_id", "destruction_records", ["document_id"])
    op.create_table(
        "destruction_certificates",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_destruction_certificates_proposal_id", "destruction_certificates", ["proposal_id"]
    )


def upgrade() -> None:
    _audit_chain_head()
    _schedules_and_decisions()
    _holds()
    _disposal()
    _destruction()


def downgrade() -> None:
    for table in (
        "destruction_certificates",
        "destruction_records",
        "disposal_reviews",
        "disposal_items",
        "disposal_proposals",
        "legal_holds",
        "retention_overrides",
        "retention_decisions",
        "retention_schedules",
        "audit_chain_head",
    ):
        op.drop_table(table)
