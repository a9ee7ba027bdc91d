"""login throttling and the audit chain's anchor (issue 11, items 7 and 8)

The login_throttles table holds recent failed logins per username and per address, so that
every API worker sees the same count. On PostgreSQL the audit log becomes append-only inside the
database too: a trigger refuses UPDATE, DELETE and TRUNCATE on audit_events, and every role but
the table's owner loses those rights on it (the application role that scripts/services.sh
provisions gets them by default privileges when 0001 creates the table). SQLite has no roles;
there the signed checkpoints outside the database (catalog/audit_anchor.py) are the defence.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REFUSE = """
CREATE OR REPLACE FUNCTION escr_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % refused on %', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""

# Every grantee of UPDATE, DELETE or TRUNCATE on the table in this schema, except its owner.
_REVOKE = """
DO $$
DECLARE grantee_name text;
BEGIN
    FOR grantee_name IN
        SELECT DISTINCT g.grantee FROM information_schema.role_table_grants g
        JOIN pg_tables t ON t.schemaname = g.table_schema AND t.tablename = g.table_name
        WHERE g.table_name = 'audit_events' AND g.table_schema = current_schema()
          AND g.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE')
          AND g.grantee <> t.tableowner AND g.grantee <> 'PUBLIC'
    LOOP
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM %I', grantee_name);
    END LOOP;
    REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM PUBLIC;
END $$
"""


def upgrade() -> None:
    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
    )
    with op.batch_alter_table("login_throttles") as batch:
        batch.create_index("ix_login_throttles_last_failure_at", ["last_failure_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_REFUSE)
        op.execute(
            "CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION escr_audit_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION escr_audit_append_only()"
        )
        op.execute(_REVOKE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_change ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS escr_audit_append_only()")
    with op.batch_alter_table("login_throttles") as batch:
        batch.drop_index("ix_login_throttles_last_failure_at")
    op.drop_table("login_throttles")
