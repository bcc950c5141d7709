"""backfill users full name

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


# ANCHOR: migration
def upgrade() -> None:
    # Exercise 2, a data migration: users without a full name get the part of their email
    # before the @. Only rows change, through a table described here as it is at 0005 (not
    # the app's models, which will move on).
    users = sa.table("users", sa.column("email", sa.Text), sa.column("full_name", sa.Text))
    rows = op.get_bind().execute(
        sa.select(users.c.email).where(users.c.full_name.is_(None))
    ).all()
    for (email,) in rows:
        op.execute(
            users.update()
            .where(users.c.email == email)
            .values(full_name=email.rpartition("@")[0])
        )


def downgrade() -> None:
    # Nothing to undo, on purpose: once written, a filled-in name cannot be told from one
    # the user typed, so setting them back to NULL could erase real names.
    pass
# ANCHOR_END: migration
