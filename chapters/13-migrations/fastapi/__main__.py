"""Chapter 13's program: serve (the default), or migrate.

    python chapters/13-migrations/fastapi [serve] [--host HOST] [--port PORT] [--migrate]
    python chapters/13-migrations/fastapi migrate up | down [N] | status | history | redo

Reports go to standard output, errors to standard error. Exit status: 0 when the command did
what it was asked (`migrate status` with pending migrations included), 1 when it could not
(a migration failed or was changed, `serve` found the database behind), 2 for a command line
it does not understand. `serve` prints `listening on http://HOST:PORT` once it has its port,
after the database check, so that nothing listens on a database that is behind.
"""

import argparse
import socket
import sys

import uvicorn
from alembic.util import CommandError
from sqlalchemy.exc import SQLAlchemyError

import migrate
from database import DATABASE_URL


# ANCHOR: cli
def parse(argv: list[str]) -> argparse.Namespace:
    if argv[:1] == ["migrate"]:
        parser = argparse.ArgumentParser(
            prog="migrate", description="Apply, undo or list the migrations."
        )
        commands = parser.add_subparsers(dest="command", required=True)
        commands.add_parser("up", help="apply every pending migration, oldest first")
        undo = commands.add_parser("down", help="undo the last N applied migrations")
        undo.add_argument("n", type=int, nargs="?", default=1)
        commands.add_parser("status", help="the current migration and the pending ones")
        commands.add_parser("history", help="every migration, and when it was applied")
        commands.add_parser("redo", help="undo the last applied migration and apply it again")
        return parser.parse_args(argv[1:])
    parser = argparse.ArgumentParser(description="Serve chapter 13's API.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 takes any free port")
    parser.add_argument("--migrate", action="store_true", help="apply pending migrations first")
    args = parser.parse_args(argv[1:] if argv[:1] == ["serve"] else argv)
    args.command = "serve"
    return args
# ANCHOR_END: cli


# ANCHOR: migrate
def migrate_command(args: argparse.Namespace) -> None:
    match args.command:
        case "up":
            if migrate.up() == 0:
                print("nothing to apply")
        case "down":
            if args.n < 0:
                raise migrate.MigrationError("down takes a number of migrations, 0 or more")
            migrate.down(args.n)
            if args.n == 0:
                print("nothing to undo")
        case "redo":
            migrate.redo()
        case "status":
            entries = migrate.status()
            print(status_report(entries))
            migrate.check(entries)
            return
        case "history":
            entries = migrate.status()
            print(history_report(entries))
            migrate.check(entries)
            return
    print(f"now at {current(migrate.status())}")


def current(entries) -> str:
    done = migrate.applied(entries)
    if not done:
        return "nothing applied (a new database)"
    return done[-1].name + (" (head)" if done[-1] is entries[-1] else "")


def status_report(entries) -> str:
    from database import DATABASE_URL

    lines = [f"database  {DATABASE_URL.render_as_string(hide_password=True)}"]
    lines.append(f"current   {current(entries)}")
    waiting = migrate.pending(entries)
    lines.append(f"pending   {len(waiting) or 'none'}")
    lines += [f"          {entry.name}" for entry in waiting]
    return "\n".join(lines)


def history_report(entries: list[migrate.Entry]) -> str:
    width = max([len("NAME")] + [len(entry.name) for entry in entries])
    lines = [f"VERSION  {'NAME':{width}}  APPLIED AT (UTC)     CHECKSUM"]
    for entry in entries:
        at = entry.applied_at or "pending"
        checksum = "-" if entry.applied_at is None else entry.state.value
        lines.append(f"{entry.revision:>7}  {entry.name:{width}}  {at:19}  {checksum}")
    return "\n".join(lines)
# ANCHOR_END: migrate


# ANCHOR: serve
def serve(args: argparse.Namespace) -> None:
    migrate.before_serving(args.migrate)
    from main import app

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    host = f"[{args.host}]" if family == socket.AF_INET6 else args.host
    # The first line on standard output, with the real port (the workbook's convention).
    print(f"listening on http://{host}:{sock.getsockname()[1]}", flush=True)
    uvicorn.Server(uvicorn.Config(app)).run(sockets=[sock])
# ANCHOR_END: serve


def main() -> int:
    args = parse(sys.argv[1:])
    try:
        if args.command == "serve":
            serve(args)
        else:
            migrate_command(args)
    except (migrate.MigrationError, CommandError, SQLAlchemyError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


sys.exit(main())
