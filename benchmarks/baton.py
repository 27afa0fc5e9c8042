"""Strict alternation of two benchmark processes (the A/B runs of `benchmarks.compare`).

`benchmarks.compare` starts the reference (A) and the working tree (B) at once, each a
pytest process of the same benchmarks, joined by two named pipes in one folder
(``a2b``, ``b2a``). A process runs only while it holds the baton: B waits for it before
its session starts; after a timed round the holder hands it over and blocks until it
comes back. A hands over after its 1st, 3rd, 5th ... timed round, B after its 2nd, 4th
..., so the rounds run

    A1 B1 B2 A2 A3 B3 B4 A4 ...

every pair of rounds is adjacent in time (both see the same machine load) and each side
goes first in half of the pairs. A process that ends writes ``X`` (or its pipe closes):
the other then runs on alone.

The harness (`benchmarks.conftest`) creates the baton when ``MAASMIX_BENCH_AB`` is
``FOLDER:A`` or ``FOLDER:B``; nothing here is used by maasmix itself.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

AB_ENV = "MAASMIX_BENCH_AB"
_HANDOVER = b"T"
_DONE = b"X"


def fifo_paths(folder: Path) -> tuple[Path, Path]:
    """The pipes A -> B and B -> A in ``folder``."""
    return folder / "a2b", folder / "b2a"


def make_fifos(folder: Path) -> None:
    """Create the two pipes (the coordinator does this before starting A and B)."""
    for path in fifo_paths(folder):
        os.mkfifo(path)


class Baton:
    """One side's end of the alternation; see the module docstring."""

    def __init__(self, folder: Path, side: str) -> None:
        if side not in ("A", "B"):
            raise ValueError(f"{AB_ENV}: side must be A or B, got {side!r}")
        a2b, b2a = fifo_paths(folder)
        self.side = side
        self.rounds = 0
        self.other_done = False
        # both sides open a2b first, then b2a: the blocking opens pair up
        if side == "A":
            self._out = os.open(a2b, os.O_WRONLY)
            self._in = os.open(b2a, os.O_RDONLY)
        else:
            self._in = os.open(a2b, os.O_RDONLY)
            self._out = os.open(b2a, os.O_WRONLY)
            self._wait()

    @classmethod
    def from_env(cls) -> Baton | None:
        spec = os.environ.get(AB_ENV, "").strip()
        if not spec:
            return None
        folder, _, side = spec.rpartition(":")
        return cls(Path(folder), side)

    def _wait(self) -> None:
        got = os.read(self._in, 1)
        if got in (b"", _DONE):
            self.other_done = True

    def _send(self, token: bytes) -> bool:
        try:
            os.write(self._out, token)
        except OSError:  # the other side is gone (EPIPE)
            self.other_done = True
            return False
        return True

    def after_round(self) -> None:
        """Called after every timed round: hand over when it is the other side's turn."""
        self.rounds += 1
        if self.other_done:
            return
        if (self.rounds % 2 == 1) == (self.side == "A") and self._send(_HANDOVER):
            self._wait()

    def close(self) -> None:
        """This side is finished: let the other run on alone."""
        if not self.other_done:
            self._send(_DONE)
        for fd in (self._out, self._in):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.other_done = True
