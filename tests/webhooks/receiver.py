"""A real HTTP receiver on loopback for webhook tests, and helpers to run the queued deliveries."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from sqlalchemy import select

from crmcore.models import WebhookDelivery


class Receiver:
    """An HTTP server in a thread that answers with the queued status codes (then 200) and keeps requests."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": self.headers, "body": body})
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()



def deliveries(crm) -> list[WebhookDelivery]:
    with crm.db.session() as session:
        return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))
