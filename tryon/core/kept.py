"""Results kept by the content of their inputs: a small, thread-safe LRU for arrays.

``functools.lru_cache`` hashes its arguments, which numpy arrays refuse;
here the key is a digest of the inputs' bytes, so equal arrays share an
entry however they were made.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

import numpy as np

T = TypeVar("T")


class KeptByContent(Generic[T]):
    """The ``size`` results made most recently, by a digest of what they were made from."""

    def __init__(self, size: int):
        self.size = size
        self._kept: OrderedDict[bytes, T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, inputs: Iterable, make: Callable[[], T]) -> T:
        """The result kept for ``inputs`` (arrays, strings, numbers), else ``make()``, kept.
        Two threads asking at once for a new one may both make it; one is kept."""
        digest = hashlib.blake2b(digest_size=20)
        for part in inputs:
            digest.update(np.ascontiguousarray(part).tobytes() if isinstance(part, np.ndarray)
                          else repr(part).encode())
            digest.update(b"\x00")
        key = digest.digest()
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
        made = make()
        with self._lock:
            self._kept[key] = made
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return made
