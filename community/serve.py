"""The real server: gevent's WSGI server with Flask-SocketIO for pages, the API and sockets.

Run it as `python -m gevent.monkey --module community.serve --host H --port P` (what
`community serve` does), so that gevent patches the standard library before anything
else is imported. Importing this module patches nothing; only running it does.
"""

if __name__ == "__main__":  # pragma: no cover - a no-op when gevent.monkey ran us
    from gevent import monkey

    monkey.patch_all()

import argparse
from urllib.parse import urlsplit

from flask import Flask


def allowed_origins(app: Flask) -> list[str]:
    """Origins allowed to open a socket: COMMUNITY_ALLOWED_ORIGINS, else BASE_URL's origin.

    Never "*" and never empty: an empty list would turn Socket.IO's origin check off.
    """
    configured = app.config.get("ALLOWED_ORIGINS") or ""
    origins = [o.strip().rstrip("/") for o in configured.split(",") if o.strip()]
    if not origins:
        base = urlsplit(app.config["BASE_URL"])
        origins = [f"{base.scheme}://{base.netloc}"]
    if "*" in origins:
        raise RuntimeError("COMMUNITY_ALLOWED_ORIGINS must list origins, not '*'")
    return origins


def init_realtime(app: Flask, async_mode: str = "gevent") -> None:
    """Bind Socket.IO to the app; with COMMUNITY_REDIS_URL its events cross processes."""
    from community.extensions import socketio

    socketio.init_app(app, async_mode=async_mode, message_queue=app.config["REDIS_URL"],
                      cors_allowed_origins=allowed_origins(app))


def main(argv: list[str] | None = None) -> None:
    from community import create_app
    from community.extensions import socketio

    parser = argparse.ArgumentParser(prog="community.serve", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args(argv)

    app = create_app()
    init_realtime(app)
    print(f"Serving Co-careering Community on http://{args.host}:{args.port}/ "
          "(gevent; Ctrl+C stops)", flush=True)
    socketio.run(app, host=args.host, port=args.port)


if __name__ == "__main__":  # pragma: no cover
    main()
