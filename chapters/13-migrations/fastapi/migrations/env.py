"""How Alembic runs chapter 13's migrations: on DATABASE_URL's database, each revision in a
transaction of its own, and each applied file's checksum recorded beside Alembic's version.
"""

from alembic import context

from database import Base, engine
from migrate import checksums, record_checksum

config = context.config
# For `alembic revision --autogenerate`: what the tables should look like.
target_metadata = Base.metadata


# ANCHOR: env
def include_name(name, type_, parent_names) -> bool:
    # The checksums are migrate.py's bookkeeping, as alembic_version is Alembic's.
    return not (type_ == "table" and name == checksums.name)


def run_migrations_online() -> None:
    report = config.attributes.get("report", print)
    with engine.connect() as connection:
        checksums.create(connection, checkfirst=True)
        connection.commit()
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            include_name=include_name,
            # One transaction per revision: a failure keeps the ones before it.
            transaction_per_migration=True,
            on_version_apply=lambda ctx, step, heads, run_args: record_checksum(
                ctx.connection, step, report
            ),
        )
        with context.begin_transaction():
            context.run_migrations()
# ANCHOR_END: env


if context.is_offline_mode():
    raise SystemExit("offline (--sql) mode is not supported: run against a database")
run_migrations_online()
