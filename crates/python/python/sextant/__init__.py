"""Sextant for Python.

- ``sextant.local(path=None)``: Qdrant's local mode on the sextant engine. Runs
  ``sextant-server``'s router on a background thread (a free loopback port) over a temporary or
  persistent storage folder and returns a real ``qdrant_client.QdrantClient`` connected to it;
  closing the client (or the interpreter exiting) stops it and flushes. The same application
  code later points at a sextant server or a Qdrant cluster.
- ``sextant.Index(space, dim, quantization=None, oversampling=2.0, bounds=False)``: an
  hnswlib-style index over NumPy arrays (``init_index``, ``add_items``, ``knn_query``,
  ``set_ef``, ``mark_deleted``, ...), with traversal on codes (``quantization="sq4d"``), float
  search behind int8 code bounds (``bounds=True``) and a ``filter`` on ``knn_query``.
- ``sextant.SIMD_LEVEL``: the instruction set the kernels run on here (``"avx512"``,
  ``"avx2"``, ...), worth reporting beside benchmark figures.
"""

import atexit
import tempfile
import weakref

from ._sextant import SIMD_LEVEL, Index, LocalServer, __version__, serve

__all__ = ["Index", "LocalServer", "SIMD_LEVEL", "local", "__version__"]


def local(path=None, **client_args):
    """A ``QdrantClient`` on a sextant server running inside this process.

    ``path``: the storage folder (kept after close, reopened by a later ``local(path)``);
    ``None``: a temporary folder, removed on close. ``client_args`` go to ``QdrantClient``
    (``timeout``, ...). Needs ``qdrant-client`` (``pip install "sextant[local]"``).
    """
    from qdrant_client import QdrantClient

    tmp = tempfile.TemporaryDirectory(prefix="sextant-local-") if path is None else None
    server = serve(str(path) if path is not None else tmp.name)

    def stop():
        server.stop()
        if tmp is not None:
            tmp.cleanup()

    class LocalClient(QdrantClient):
        """A ``QdrantClient`` whose ``close`` also stops its in-process server."""

        def close(self, *args, **kwargs):
            try:
                super().close(*args, **kwargs)
            finally:
                stop()

    client = LocalClient(url=f"http://127.0.0.1:{server.port}", check_compatibility=False, **client_args)
    client.sextant_server = server
    # Stopped (and flushed) when the client is collected or the interpreter exits.
    weakref.finalize(client, stop)
    atexit.register(stop)
    return client
