"""CMS interface: service accounts, API keys, idempotency keys, legacy URLs (issue 16;
catalog/models_service.py, docs/decisions/0037-cms-identity.md)

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "service_accounts",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("oidc_client_id", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
        sa.UniqueConstraint("oidc_client_id"),
    )
    op.create_table(
        "service_keys",
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("account", sa.String(length=60), nullable=False),
        sa.Column("secret_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["account"], ["service_accounts.name"]),
        sa.PrimaryKeyConstraint("key_id"),
    )
    op.create_index("ix_service_keys_account", "service_keys", ["account"])
    op.create_table(
        "idempotency_keys",
        sa.Column("account", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_sha256", sa.String(length=64), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("ledger_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("account", "key"),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])
    # The manifest's optional legacy_url: the old system's link to the document, followed
    # after migration (GET /legacy, issue 16); on the ledger row, so a row that never became
    # a document still answers with its state.
    with op.batch_alter_table("ledger") as batch:
        batch.add_column(sa.Column("legacy_url", sa.String(length=2000), nullable=True))
        batch.create_index("ix_ledger_legacy_url", ["legacy_url"])


def downgrade() -> None:
    with op.batch_alter_table("ledger") as batch:
        batch.drop_index("ix_ledger_legacy_url")
        batch.drop_column("legacy_url")
    op.drop_index("ix_idempotency_keys_created_at", "idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_index("ix_service_keys_account", "service_keys")
    op.drop_table("service_keys")
    op.drop_table("service_accounts")
