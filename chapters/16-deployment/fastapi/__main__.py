"""Chapter 16's program: checks every setting, then serves with uvicorn.

    python chapters/16-deployment/fastapi [--host HOST] [--port PORT] [--workers N]

Nothing listens before every setting is known to be right: a wrong one is a message on
standard error that names it, and exit status 1. Then `listening on http://HOST:PORT` (the
real port, also for --port 0) is the first line on standard output.
"""

import argparse
import socket
import sys

import uvicorn
from uvicorn.supervisors import Multiprocess

from settings import ConfigError, Settings


# ANCHOR: main
def main() -> int:
    parser = argparse.ArgumentParser(description="Serve chapter 16's service.")
    parser.add_argument("--host", help="address to listen on [HOST, 127.0.0.1]")
    parser.add_argument("--port", help="port; 0 takes any free one [PORT, 8000]")
    parser.add_argument("--workers", help="processes, each serving the app [WORKERS, 1]")
    args = parser.parse_args()
    flags = {name.upper(): value for name, value in vars(args).items() if value is not None}
    try:
        settings = Settings.load(flags=flags)
        # The app reads the same settings again when it is imported: check them all first.
        import main as _app  # noqa: F401
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1

    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.host, settings.port))
        # Connections wait in the backlog until uvicorn, or its workers, take them.
        sock.listen(2048)
    except OSError as err:
        where = f"{settings.host}:{settings.port}"
        print(f"error: HOST/PORT: cannot listen on {where}: {err}", file=sys.stderr)
        return 1
    host = f"[{settings.host}]" if family == socket.AF_INET6 else settings.host
    print(f"listening on http://{host}:{sock.getsockname()[1]}", flush=True)
    # proxy_headers=False: uvicorn would believe X-Forwarded-For from 127.0.0.1; the app
    # believes TRUSTED_PROXIES only.
    # "main:app" is imported from this folder, which Python put first on sys.path.
    config = uvicorn.Config("main:app", workers=settings.workers, proxy_headers=False)
    if settings.workers == 1:
        uvicorn.Server(config).run(sockets=[sock])
    else:
        # What `uvicorn --workers N` does, on the socket bound above: N processes share it.
        Multiprocess(config, sockets=[sock]).run()
    return 0
# ANCHOR_END: main


sys.exit(main())
