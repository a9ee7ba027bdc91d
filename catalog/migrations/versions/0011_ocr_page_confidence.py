"""OCR per-page confidence and review flag (issue 13, section 4)

Each OCRed page's confidence (0..1, the mean of its word confidences) is kept on its document,
with their mean and the count of pages read so poorly that a person should check them;
document_pages carries a page's confidence while a long scan is OCRed by page range.

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("ocr_confidence", sa.Float(), nullable=True))
        batch.add_column(sa.Column("ocr_page_confidence", sa.JSON(), nullable=True))
        batch.add_column(
            sa.Column("ocr_review_pages", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("document_pages") as batch:
        batch.add_column(sa.Column("confidence", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("document_pages") as batch:
        batch.drop_column("confidence")
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("ocr_review_pages")
        batch.drop_column("ocr_page_confidence")
        batch.drop_column("ocr_confidence")
