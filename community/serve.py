"""The real server: gevent's WSGI server with Flask-SocketIO for pages, the API and sockets.

Run it as `python -m gevent.monkey --module community.serve --host H --port P` (what
`community serve` does), so that gevent patches the standard library before anything
else is imported. Importing this module patches nothing; only running it does.
"""

if __name__ == "__main__":  # pragma: no cover - a no-op when gevent.monkey ran us
    from gevent import monkey

    monkey.patch_all()

import argparse
import contextlib
import gc
import socket
from typing import Any

import gevent
from flask import Flask
from gevent import pywsgi

from community.realtime.server import allowed_origins

__all__ = ["allowed_origins", "create_served_app", "main"]
REQUEST_BUFFER = 1024  # bytes; longer requests are read in more than one recv()


class NoDelayHandler(pywsgi.WSGIHandler):
    """gevent's handler with Nagle's algorithm off on every accepted connection.

    With it on, a response or a live event written in more than one segment waits for
    the client's (delayed, up to 40 ms) acknowledgement of the one before: every request
    after the first on a kept-alive connection took 40 ms longer, and two events to one
    socket within a round trip arrived 40 ms apart. Node's and most servers do the same.
    """

    def __init__(self, sock: socket.socket, address: Any, server: Any) -> None:
        super().__init__(sock, address, server)
        # The request line and headers are read through this buffer; it stays allocated as
        # long as the connection lives, and a live connection lives for hours after its one
        # upgrade request. 8 KB by default: a tenth of an idle connection's memory.
        self.rfile = sock.makefile("rb", REQUEST_BUFFER)

    def handle(self) -> None:
        with contextlib.suppress(OSError):  # not TCP (a Unix socket): nothing to turn off
            self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().handle()


def create_served_app() -> Flask:
    """The app with Socket.IO in gevent mode (this process runs under gevent's patching)."""
    from community import create_app

    return create_app({"ASYNC_MODE": "gevent"})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="community.serve", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args(argv)

    # Greenlets would each keep the stack they were spawned from (for debugging tools):
    # four per live connection, ~5 KB of every idle connection's memory.
    gevent.config.track_greenlet_tree = False
    app = create_served_app()
    socketio = app.extensions["socketio"]
    # Everything built so far (modules, mappers, the app) lives as long as the
    # process: out of the collector's sight, each full collection walks ~200,000 fewer
    # objects, a pause ~100 ms shorter for every connected client waiting on this process.
    gc.collect()
    gc.freeze()
    print(f"Serving Co-careering Community on http://{args.host}:{args.port}/ "
          "(gevent; Ctrl+C stops)", flush=True)
    socketio.run(app, host=args.host, port=args.port, handler_class=NoDelayHandler)


if __name__ == "__main__":  # pragma: no cover
    main()
