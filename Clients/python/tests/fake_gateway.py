"""A tiny in-process stand-in for the JSON gateway (http.server in a thread, HTTP/1.1
keep-alive) that records every request and answers from a script.

A script entry is a ``Reply``; entries are used one per request, then ``default``
answers (a 202 acknowledging every event, or a 200 for identifies). ``Reply.drop``
reads the request and closes the connection without answering; ``Reply.delay`` sleeps
before answering; ``Reply.gate`` (a threading.Event) holds the answer until set;
``Reply.close_after`` answers, then closes the keep-alive connection without saying so.
"""
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 202
    body: dict = None
    headers: dict = field(default_factory=dict)
    drop: bool = False
    delay: float = 0.0
    gate: threading.Event = None
    close_after: bool = False  # answer, then close the connection silently (idle keep-alive timeout)


@dataclass
class Request:
    method: str
    path: str
    headers: dict
    json: object
    connection: int  # id of the TCP connection it came on


def ack(request):
    if request.path == "/v1/batch":
        n = len(request.json["events"])
        return Reply(202, {"ok": True, "accepted": n, "duplicates": 0,
                           "event_ids": [e.get("event_id") for e in request.json["events"]]})
    return Reply(200, {"ok": True})


def error(status, code, message="refused", field=None, retry_after=None):
    body = {"error": code, "message": message, "details": {"field": field, "reason": "test"} if field else {}}
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return Reply(status, body, headers)


class FakeGateway:
    def __init__(self, default=ack):
        self.script = []
        self.default = default
        self.requests = []
        self.connections = 0
        self.cond = threading.Condition()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                with gateway.cond:
                    gateway.connections += 1
                    self.connection_id = gateway.connections

            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                request = Request(self.command, self.path, dict(self.headers),
                                  json.loads(raw) if raw else None, self.connection_id)
                with gateway.cond:
                    reply = gateway.script.pop(0) if gateway.script else None
                    gateway.requests.append(request)
                    gateway.cond.notify_all()
                if reply is None:
                    reply = gateway.default(request)
                if reply.gate is not None:
                    reply.gate.wait(30)
                if reply.delay:
                    threading.Event().wait(reply.delay)
                if reply.drop:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                data = json.dumps(reply.body if reply.body is not None else {}).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)
                if reply.close_after:
                    self.close_connection = True

            do_POST = do_GET = do_DELETE = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def wait_requests(self, n, timeout=10):
        """Waits until at least ``n`` requests arrived; returns a copy of them."""
        with self.cond:
            if not self.cond.wait_for(lambda: len(self.requests) >= n, timeout):
                raise AssertionError(f"expected {n} requests, got {len(self.requests)}")
            return list(self.requests)

    def events(self):
        """Every event of every batch request received, in arrival order."""
        with self.cond:
            return [e for r in self.requests if r.path == "/v1/batch" for e in r.json["events"]]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
