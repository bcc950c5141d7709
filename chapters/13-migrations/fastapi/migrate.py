"""Chapter 13's migrations: Alembic's revisions in `migrations/versions/`, and the commands the
program offers on them (`migrate up`, `down N`, `status`, `history`, `redo`).

Alembic keeps one row, the current revision, in `alembic_version`. It does not notice a
revision file changed after it was applied; this module keeps a second table,
`alembic_checksums`, with each applied file's SHA-256, and refuses to go on when one differs.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext, MigrationInfo
from alembic.script import Script, ScriptDirectory
from sqlalchemy import Column, Connection, MetaData, String, Table, delete, insert, inspect, select

from database import engine

HERE = Path(__file__).resolve().parent
logger = logging.getLogger("uvicorn.error")

# ANCHOR: checksums
checksums = Table(
    "alembic_checksums",
    MetaData(),
    Column("revision", String(32), primary_key=True),
    Column("checksum", String(64), nullable=False),
    Column("applied_at", String(19), nullable=False),
)


def name_of(script: Script) -> str:
    """`0002_create_items`: the revision, then its message, as its file is named."""
    return f"{script.revision}_{(script.doc or '').strip().replace(' ', '_')}"


def checksum_of(script: Script) -> str:
    return hashlib.sha256(Path(script.path).read_bytes()).hexdigest()


def record_checksum(connection: Connection, step: MigrationInfo, report) -> None:
    """Alembic's `on_version_apply`: in the revision's own transaction, remember the file's
    checksum when it is applied, forget it when it is undone."""
    script = step.revision_map.get_revision(step.up_revision_id)
    connection.execute(delete(checksums).where(checksums.c.revision == script.revision))
    if step.is_upgrade:
        now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        row = {"revision": script.revision, "checksum": checksum_of(script), "applied_at": now}
        connection.execute(insert(checksums).values(row))
    report(f"{'applied' if step.is_upgrade else 'undone'} {name_of(script)}")
# ANCHOR_END: checksums


# ANCHOR: status
class State(Enum):
    PENDING = "pending"
    APPLIED = "ok"
    CHANGED = "CHANGED since applied"
    UNKNOWN = "unknown to this program"


@dataclass
class Entry:
    revision: str
    name: str
    state: State
    applied_at: str | None = None


class MigrationError(Exception):
    """Why a command stopped; the message names the migration at fault."""


def alembic_config(report=print) -> Config:
    config = Config(HERE / "alembic.ini")
    config.attributes["report"] = report
    return config


def status() -> list[Entry]:
    """Every migration, oldest first: the program's, and where the database stands."""
    scripts = list(reversed(list(ScriptDirectory.from_config(alembic_config()).walk_revisions())))
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
        recorded = {}
        if inspect(connection).has_table(checksums.name):
            recorded = {row.revision: row for row in connection.execute(select(checksums))}
    known = [script.revision for script in scripts]
    if current is not None and current not in known:
        # A newer program migrated this database: what it applied is not ours to judge.
        return [Entry(current, current, State.UNKNOWN)]
    applied = known[: known.index(current) + 1] if current else []
    entries = []
    for script in scripts:
        row = recorded.get(script.revision)
        if script.revision not in applied:
            entries.append(Entry(script.revision, name_of(script), State.PENDING))
            continue
        changed = row is not None and row.checksum != checksum_of(script)
        state = State.CHANGED if changed else State.APPLIED
        at = row.applied_at if row else "before checksums"
        entries.append(Entry(script.revision, name_of(script), state, at))
    return entries


def check(entries: list[Entry]) -> None:
    """Fails, naming the migration, when the database's history and the program's disagree:
    nothing may be applied or undone until a person has looked."""
    for entry in entries:
        if entry.state == State.CHANGED:
            raise MigrationError(
                f"migration {entry.name} was changed after it was applied: put the file back "
                "as it was and write a new migration for the change"
            )
        if entry.state == State.UNKNOWN:
            raise MigrationError(
                f"the database is at {entry.name}, a migration this program does not have "
                "(a newer version migrated it)"
            )


def applied(entries: list[Entry]) -> list[Entry]:
    return [entry for entry in entries if entry.state != State.PENDING]


def pending(entries: list[Entry]) -> list[Entry]:
    return [entry for entry in entries if entry.state == State.PENDING]
# ANCHOR_END: status


# ANCHOR: commands
def up(report=print) -> int:
    """Applies every pending migration, oldest first (`alembic upgrade head`)."""
    entries = status()
    check(entries)
    command.upgrade(alembic_config(report), "head")
    return len(pending(entries))


def down(n: int, report=print) -> None:
    """Undoes the last `n` applied migrations, newest first (`alembic downgrade -n`)."""
    entries = status()
    check(entries)
    done = applied(entries)
    if n > len(done):
        raise MigrationError(f"cannot undo {n} migrations: only {len(done)} are applied")
    if n == 0:
        return
    target = done[-n - 1].revision if n < len(done) else "base"
    command.downgrade(alembic_config(report), target)


def redo(report=print) -> None:
    """Exercise 3: undoes the last applied migration and applies it again."""
    entries = status()
    check(entries)
    done = applied(entries)
    if not done:
        raise MigrationError("nothing to redo: no migration is applied")
    down(1, report)
    command.upgrade(alembic_config(report), done[-1].revision)
# ANCHOR_END: commands


# ANCHOR: before_serving
def before_serving(migrate: bool) -> None:
    """What serving does first: a database whose history disagrees stops it; a new, empty
    database gets every migration; one that is behind stops it too, unless `migrate`."""
    entries = status()
    check(entries)
    waiting = pending(entries)
    if not waiting:
        return
    if applied(entries) and not migrate:
        names = ", ".join(entry.name for entry in waiting)
        raise MigrationError(
            f"the database is at {applied(entries)[-1].name}, and {len(waiting)} migration(s) "
            f"are pending ({names}): run `migrate up` first, or serve with --migrate"
        )
    logger.info("applying %d migration(s) before serving", len(waiting))
    up(report=logger.info)
# ANCHOR_END: before_serving
