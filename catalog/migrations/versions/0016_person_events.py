"""CMS interface: person events (merge, split, identifier changes), the webhook outbox and
subscriptions, old document links keyed for matching (issue 16;
catalog/models_person_events.py, catalog/models_webhooks.py, catalog/models_legacy_links.py,
docs/decisions/0038)

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "person_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("from_person_id", sa.String(length=100), nullable=False),
        sa.Column("into_person_id", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("on_behalf_of", sa.String(length=100), nullable=False),
        sa.Column("moved", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("undone_at", sa.DateTime(), nullable=True),
        sa.Column("undone_by", sa.String(length=100), nullable=False),
        sa.Column("undo_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["from_person_id"], ["people.person_id"]),
        sa.ForeignKeyConstraint(["into_person_id"], ["people.person_id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_person_events_from_person_id", "person_events", ["from_person_id"])
    op.create_index("ix_person_events_into_person_id", "person_events", ["into_person_id"])
    op.create_table(
        "person_merges",
        sa.Column("person_id", sa.String(length=100), nullable=False),
        sa.Column("into_person_id", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.person_id"]),
        sa.ForeignKeyConstraint(["into_person_id"], ["people.person_id"]),
        sa.ForeignKeyConstraint(["event_id"], ["person_events.id"]),
        sa.PrimaryKeyConstraint("person_id"),
    )
    op.create_index("ix_person_merges_into_person_id", "person_merges", ["into_person_id"])
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=100), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_webhook_subscriptions_account", "webhook_subscriptions", ["account"])
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.String(length=50), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_webhook_events_document_id", "webhook_events", ["document_id"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("lease_until", sa.DateTime(), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["webhook_events.id"]),
        sa.ForeignKeyConstraint(["subscription_id"], ["webhook_subscriptions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_webhook_deliveries_event_id", "webhook_deliveries", ["event_id"])
    op.create_index(
        "ix_webhook_deliveries_subscription_id", "webhook_deliveries", ["subscription_id"]
    )
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries", ["state", "next_attempt_at"])
    op.create_table(
        "legacy_links",
        sa.Column("ledger_id", sa.Integer(), nullable=False),
        sa.Column("full_sha256", sa.String(length=64), nullable=False),
        sa.Column("path_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["ledger_id"], ["ledger.id"]),
        sa.PrimaryKeyConstraint("ledger_id"),
    )
    op.create_index("ix_legacy_links_full_sha256", "legacy_links", ["full_sha256"])
    op.create_index("ix_legacy_links_path_sha256", "legacy_links", ["path_sha256"])


def downgrade() -> None:
    for table in (
        "legacy_links",
        "webhook_deliveries",
        "webhook_events",
        "webhook_subscriptions",
        "person_merges",
        "person_events",
    ):
        op.drop_table(table)
