"""index items by owner and id

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


# ANCHOR: migration
def upgrade() -> None:
    # Exercise 1. A user's items are read in order of id: one index on (owner_id, id) finds
    # them in that order, so it replaces the index on owner_id alone. The new one is made
    # first, so that the foreign key is never without an index (MySQL insists).
    op.create_index("items_owner_id_id", "items", ["owner_id", "id"])
    op.drop_index("items_owner_id", table_name="items")


def downgrade() -> None:
    # Back to exactly what 0002 made, in the opposite order.
    op.create_index("items_owner_id", "items", ["owner_id"])
    op.drop_index("items_owner_id_id", table_name="items")
# ANCHOR_END: migration
