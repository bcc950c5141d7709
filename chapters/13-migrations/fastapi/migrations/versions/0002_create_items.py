"""create items

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer, "sqlite")
# MEDIUMTEXT on MySQL, where TEXT holds only 64 KiB.
LongText = sa.Text().with_variant(sa.Text(16_777_215), "mysql")


def upgrade() -> None:
    op.create_table(
        "items",
        sa.Column("id", BigId, primary_key=True),
        sa.Column("title", LongText, nullable=False),
        sa.Column("description", LongText),
        sa.Column(
            "owner_id",
            sa.BigInteger,
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
    )
    op.create_index("items_owner_id", "items", ["owner_id"])


def downgrade() -> None:
    # The index goes with the table (MySQL would refuse to drop it first: the key needs it).
    op.drop_table("items")
