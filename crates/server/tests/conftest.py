"""Fixtures of the server's integration tests: a `sextant-server` process on a free loopback
port over a temporary storage folder, and clients for it and for qdrant-client's Local Mode.

The binary is `$SEXTANT_SERVER_BIN`, else `target/debug/sextant-server` of this checkout.
With `SEXTANT_TARGET=local`, the `server` fixture is `sextant.local()` instead (the Python
package's in-process server: the same router), and the tests that need a process of their own
(flags, signals) are skipped.
"""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from qdrant_client import QdrantClient

ROOT = Path(__file__).resolve().parents[3]
TARGET = os.environ.get("SEXTANT_TARGET", "server")
BIN = os.environ.get("SEXTANT_SERVER_BIN", str(ROOT / "target" / "debug" / "sextant-server"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A running sextant-server; `restart` keeps the storage folder."""

    def __init__(self, storage, *flags):
        self.storage = Path(storage)
        self.flags = list(flags)
        self.proc = None
        self.start()

    def start(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [BIN, "--storage", str(self.storage), "--port", str(self.port), *self.flags],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sextant-server exited: {self.proc.stderr.read().decode()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("sextant-server did not become ready")

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)

    def restart(self, sig=signal.SIGTERM):
        self.stop(sig)
        self.start()

    def client(self, **kw):
        return QdrantClient(url=self.url, timeout=60, **kw)


class Local:
    """`sextant.local(path)` as a test target: its in-process server's URL; `restart` closes
    it and opens the same folder again."""

    def __init__(self, path):
        self.path = path
        self.start()

    def start(self):
        import sextant

        self._client = sextant.local(self.path)
        self.url = f"http://127.0.0.1:{self._client.sextant_server.port}"

    def restart(self):
        self.stop()
        self.start()

    def client(self, **kw):
        return QdrantClient(url=self.url, timeout=60, **kw)

    def stop(self):
        self._client.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    storage = tmp_path_factory.mktemp("storage")
    s = Local(storage) if TARGET == "local" else Server(storage)
    yield s
    s.stop()


needs_process = pytest.mark.skipif(TARGET == "local", reason="needs a server process of its own")


@pytest.fixture()
def fresh_server(tmp_path):
    if TARGET == "local":
        pytest.skip("needs a server process of its own (flags, signals)")
    s = Server(tmp_path / "storage")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def ours(server):
    return server.client()


@pytest.fixture()
def local():
    return QdrantClient(":memory:")
