"""add users full name

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


# ANCHOR: migration
def upgrade() -> None:
    # Nullable, so that the users who exist already need no value.
    op.add_column(
        "users",
        sa.Column("full_name", sa.Text().with_variant(sa.Text(16_777_215), "mysql")),
    )


def downgrade() -> None:
    # The names go with the column: this downgrade loses data.
    op.drop_column("users", "full_name")
# ANCHOR_END: migration
