"""A dependency-free progress line for long steps (decoding, training, explaining)."""
from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def progress(items: Iterable[T], total: int, label: str, every: float = 2.0) -> Iterator[T]:
    """Yield from `items`, printing 'label: done/total (rate, eta)' to stderr at most every `every` s."""
    start = last = time.monotonic()
    done = 0
    for item in items:
        yield item
        done += 1
        now = time.monotonic()
        if now - last >= every or done == total:
            rate = done / max(now - start, 1e-9)
            eta = (total - done) / rate if rate else 0.0
            print(f"\r{label}: {done}/{total} ({rate:.0f}/s, eta {eta:.0f}s)", end="", file=sys.stderr)
            last = now
    if done:
        print(file=sys.stderr)
