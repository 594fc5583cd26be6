"""A TCP proxy for HTTP/1.1 keep-alive traffic that loses acknowledgements: for the
first ``drops`` different ``POST /v1/batch`` requests it forwards the request, reads the
server's whole answer (so the batch is stored) and then closes the client's connection
instead of relaying it. A request with the same body as a dropped one (the client's
retry, ``sent_at`` aside) is relayed, so each lost ack belongs to another batch.
Everything else is relayed unchanged. Plaintext only."""
import json
import socket
import threading


def _read_message(stream):
    """One HTTP/1.1 message (head + Content-Length body) as raw bytes, or None at EOF."""
    head = b""
    while True:
        line = stream.readline(65537)
        if not line:
            return None, None
        head += line
        if line in (b"\r\n", b"\n"):
            break
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = stream.read(length) if length else b""
    return head + body, head.split(b"\r\n", 1)[0]


class DropProxy:
    def __init__(self, upstream_port, drops):
        self.upstream_port = upstream_port
        self.drops_left = drops
        self.dropped_requests = []  # raw request bytes of the batches whose answer was lost
        self._dropped_events = set()
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
        client_in, upstream_in = client.makefile("rb"), upstream.makefile("rb")
        try:
            while True:
                request, request_line = _read_message(client_in)
                if request is None:
                    return
                upstream.sendall(request)
                response, _ = _read_message(upstream_in)
                if response is None:
                    return
                with self.lock:
                    drop = request_line.startswith(b"POST /v1/batch") and self.drops_left > 0
                    if drop:
                        events = json.loads(request.split(b"\r\n\r\n", 1)[1])["events"]
                        first = events[0]["event_id"]
                        drop = first not in self._dropped_events
                        self._dropped_events.add(first)
                    if drop:
                        self.drops_left -= 1
                        self.dropped_requests.append(request)
                if drop:
                    return  # the server stored the batch; the client never sees the ack
                client.sendall(response)
        except OSError:
            return
        finally:
            for s in (client_in, upstream_in, client, upstream):
                s.close()

    def close(self):
        self.closed = True
        self.listener.close()
