"""Pausing Python's cyclic garbage collector for a bounded piece of bulk work.

Reading and measuring a large registry builds millions of small objects that hold no cycles.
While they are alive, every full pass of the cyclic collector walks all of them again, so the
work grows faster than the registry (bench/registry.py measured the compute at 1M patients at
twice linear). Reference counting still frees every object as usual while the collector is
paused; the collector resumes, and catches up on any cycle, when the work ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic collector for the block (reference counting goes on)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
