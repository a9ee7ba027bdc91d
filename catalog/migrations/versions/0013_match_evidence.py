"""person matching: candidates' evidence, legacy ID resolutions, training pairs (issue 14)

The exception queue's candidates ranked with where each came from and each field's agreement
and weight; a reviewer's resolution of a legacy ID, applied by later rounds; and the confirmed
(document, person) pairs the matcher's m estimates are learned from (catalog/models_matching.py,
docs/decisions/0031).

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_people_date_of_birth", "people", ["date_of_birth"])
    op.create_table(
        "exception_candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("person_id", sa.String(length=100), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column("source_detail", sa.Text(), nullable=False),
        sa.Column("match_weight", sa.Float(), nullable=True),
        sa.Column("match_probability", sa.Float(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["people.person_id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("document_id", "kind", "person_id"),
    )
    op.create_index("ix_exception_candidates_document_id", "exception_candidates", ["document_id"])
    op.create_index("ix_exception_candidates_person_id", "exception_candidates", ["person_id"])
    op.create_table(
        "legacy_id_resolutions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("system", sa.String(length=100), nullable=False),
        sa.Column("legacy_id", sa.String(length=100), nullable=False),
        sa.Column("person_id", sa.String(length=100), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["people.person_id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("system", "legacy_id"),
    )
    op.create_index("ix_legacy_id_resolutions_person_id", "legacy_id_resolutions", ["person_id"])
    op.create_table(
        "match_training_pairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.ForeignKeyConstraint(["person_id"], ["people.person_id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("document_id", "person_id"),
    )
    op.create_index("ix_match_training_pairs_document_id", "match_training_pairs", ["document_id"])
    op.create_index("ix_match_training_pairs_person_id", "match_training_pairs", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_match_training_pairs_person_id", "match_training_pairs")
    op.drop_index("ix_match_training_pairs_document_id", "match_training_pairs")
    op.drop_table("match_training_pairs")
    op.drop_index("ix_legacy_id_resolutions_person_id", "legacy_id_resolutions")
    op.drop_table("legacy_id_resolutions")
    op.drop_index("ix_exception_candidates_person_id", "exception_candidates")
    op.drop_index("ix_exception_candidates_document_id", "exception_candidates")
    op.drop_table("exception_candidates")
    op.drop_index("ix_people_date_of_birth", "people")
