"""The real server: gevent's WSGI server with Flask-SocketIO for pages, the API and sockets.

Run it as `python -m gevent.monkey --module community.serve --host H --port P` (what
`community serve` does), so that gevent patches the standard library before anything
else is imported. Importing this module patches nothing; only running it does.
"""

if __name__ == "__main__":  # pragma: no cover - a no-op when gevent.monkey ran us
    from gevent import monkey

    monkey.patch_all()

import argparse

from flask import Flask

from community.realtime.server import allowed_origins

__all__ = ["allowed_origins", "create_served_app", "main"]


def create_served_app() -> Flask:
    """The app with Socket.IO in gevent mode (this process runs under gevent's patching)."""
    from community import create_app

    return create_app({"ASYNC_MODE": "gevent"})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="community.serve", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args(argv)

    app = create_served_app()
    socketio = app.extensions["socketio"]
    print(f"Serving Co-careering Community on http://{args.host}:{args.port}/ "
          "(gevent; Ctrl+C stops)", flush=True)
    socketio.run(app, host=args.host, port=args.port)


if __name__ == "__main__":  # pragma: no cover
    main()
