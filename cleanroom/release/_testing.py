"""Exact (no-noise) mode, for tests only.

:func:`exact_mode` turns noise off inside a ``with`` block so template results can be
compared with a reference implementation. It refuses to run unless pytest is loaded;
nothing in settings, requests or the environment reaches it, and no server module
imports this one (``tests/unit/cleanroom/release/test_exact_mode.py`` checks both).
Results produced in this mode carry ``exact=True``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from cleanroom.release import noise


@contextmanager
def exact_mode() -> Iterator[None]:
    if "pytest" not in sys.modules:
        raise RuntimeError("exact mode is for the test suite only")
    previous = noise._exact
    noise._exact = True
    try:
        yield
    finally:
        noise._exact = previous
