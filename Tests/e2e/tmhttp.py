"""Small HTTP helpers: HTTP/1.1 through the standard library, HTTP/2 through curl."""
import http.client
import json
import subprocess
import urllib.parse


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


def request(server, method, path, body=None, key=None, headers=None, params=None, http2=False):
    """Sends one request; `body` may be bytes, str or a JSON-able object."""
    if params:
        path = path + "?" + urllib.parse.urlencode(params, doseq=True)
    hdrs = dict(headers or {})
    if key is not None:
        hdrs["Authorization"] = f"Bearer {key}"
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    if body is not None:
        hdrs.setdefault("Content-Type", "application/json")
    if http2:
        return _curl(server, method, path, body, hdrs)
    if body is not None and len(body) > 1 << 20:
        # The server answers 413 before reading a too-large body and closes the connection;
        # curl reads that early answer, http.client would fail with a broken pipe.
        return _curl(server, method, path, body, hdrs, http1=True)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30) if server.plaintext else \
        http.client.HTTPSConnection("127.0.0.1", server.port, timeout=30, context=_tls(server))
    try:
        conn.request(method, path, body=body, headers=hdrs)
        r = conn.getresponse()
        return Response(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


def _tls(server):
    import ssl
    return ssl.create_default_context(cafile=server.ca_file())


def _curl(server, method, path, body, hdrs, http1=False):
    args = ["curl", "-sS", "-X", method, "-D", "-", "-o", "-", "--max-time", "30"]
    if http1:
        args += ["--http1.1"] + ([] if server.plaintext else ["--cacert", server.ca_file()])
    else:
        args += ["--http2-prior-knowledge"] if server.plaintext else ["--http2", "--cacert", server.ca_file()]
    for k, v in hdrs.items():
        args += ["-H", f"{k}: {v}"]
    if body is not None:
        args += ["--data-binary", "@-"]
    args.append(server.base + path)
    out = subprocess.run(args, input=body or b"", capture_output=True, check=True).stdout
    head, _, rest = out.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0].startswith("HTTP/1.1" if http1 else "HTTP/2"), lines[0]
    status = int(lines[0].split()[1])
    headers = [tuple(l.split(": ", 1)) for l in lines[1:] if ": " in l]
    return Response(status, headers, rest)
