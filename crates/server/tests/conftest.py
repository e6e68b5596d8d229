"""Fixtures of the server's integration tests: a `sextant-server` process on a free loopback
port over a temporary storage folder, and clients for it and for qdrant-client's Local Mode.

The binary is `$SEXTANT_SERVER_BIN`, else `target/debug/sextant-server` of this checkout.
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


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("storage"))
    yield s
    s.stop()


@pytest.fixture()
def fresh_server(tmp_path):
    s = Server(tmp_path / "storage")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def ours(server):
    return server.client()


@pytest.fixture()
def local():
    return QdrantClient(":memory:")
