"""Fetch the next page while the current one is written: GitHub (or the simulator) and the
database work at the same time instead of taking turns."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


def prefetched(pages: Iterator[T], *, depth: int = 1) -> Iterator[T]:
    """Yield the items of `pages`, produced by a background thread up to `depth` ahead.

    An error in the producer is raised here after the pages before it were yielded, so each of
    those is written with its checkpoint first. Stopping early stops the producer (it may
    have fetched `depth` pages that are then dropped, so callers that stop early on purpose,
    like an incremental run reaching its watermark, should not prefetch)."""
    handoff: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for page in pages:
                if not put(("page", page)):
                    return
        except BaseException as exc:  # handed to the consumer, which raises it
            put(("error", exc))
            return
        put(("done", _DONE))

    thread = threading.Thread(target=produce, name="github-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = handoff.get()
            if kind == "page":
                yield value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        stop.set()
        thread.join(timeout=60)
