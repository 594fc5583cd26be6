"""Starts and stops a real `trailmark` server binary for the end-to-end tests.

Every test server gets its own temporary data directory and a free loopback port.
Keys are created with the binary's own `trailmark keys create`, as a user would.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("TRAILMARK_BIN", os.path.join(ROOT, ".build", "debug", "trailmark"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One server process on a data directory; restartable on the same directory."""

    def __init__(self, data_dir=None, plaintext=True, extra_args=()):
        self.owns_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="tm-e2e-")
        self.port = free_port()
        self.plaintext = plaintext
        self.extra_args = list(extra_args)
        self.proc = None
        self.log_path = os.path.join(self.data_dir, "server.log")

    @property
    def base(self):
        scheme = "http" if self.plaintext else "https"
        return f"{scheme}://127.0.0.1:{self.port}"

    def start(self, timeout=60):
        args = [BINARY, "serve", "--data", self.data_dir, "--port", str(self.port)]
        if self.plaintext:
            args.append("--plaintext")
        args += self.extra_args
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_healthy(timeout)
        return self

    def wait_healthy(self, timeout, want=("ok",)):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                status, body = self.health()
                if status == 200 and body.get("status") in want:
                    return body
                last = body
            except OSError as e:
                last = e
            time.sleep(0.05)
        raise RuntimeError(f"server not healthy after {timeout}s: {last}; {self.log_tail()}")

    def health(self):
        import ssl
        ctx = None
        if not self.plaintext:
            ctx = ssl.create_default_context(cafile=self.ca_file())
        with urllib.request.urlopen(self.base + "/v1/health", timeout=2, context=ctx) as r:
            return r.status, json.loads(r.read())

    def ca_file(self):
        for dirpath, _, files in os.walk(self.data_dir):
            for f in files:
                if f in ("ca.pem", "dev-ca.pem", "ca.crt"):
                    return os.path.join(dirpath, f)
        raise FileNotFoundError("no development CA in " + self.data_dir)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        code = self.proc.returncode
        self.proc = None
        return code

    def kill9(self):
        return self.stop(signal.SIGKILL)

    def restart(self):
        self.stop()
        self.port = free_port()
        return self.start()

    def create_key(self, kind, project="e2e", origins=()):
        args = [BINARY, "keys", "create", "--data", self.data_dir, "--project", project, "--kind", kind]
        for o in origins:
            args += ["--origin", o]
        out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
        keys = [line.strip() for line in out.splitlines() if line.strip().startswith(("sk_", "pk_", "rk_"))]
        assert keys, f"no key printed: {out!r}"
        return keys[-1]

    def log_tail(self, n=4000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    def cleanup(self):
        self.stop()
        if self.owns_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
