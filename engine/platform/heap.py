"""The garbage collector in a long-lived process (a gunicorn worker, the RQ worker)."""

from __future__ import annotations

import gc


def freeze_startup_objects() -> None:
    """Leave what starting made (modules, mappers, parsed diagrams, the app) out of every
    later collection.

    A started web process tracks about 300,000 such objects, and each full collection
    walked them all again: about 1 ms a request in the HTTP benchmark. They live as long as
    the process, so collecting them can never free anything."""
    gc.collect()
    gc.freeze()
