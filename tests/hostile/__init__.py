"""Hostile inputs made in ``tmp_path`` from copies of the shared feeds, and a runner that
measures one command in a subprocess (exit status, peak memory, seconds).

Used by ``tests/feeds/test_hostile.py`` and ``tests/api/test_hostile_api.py``; kept out
of the test modules so the issue's table can be re-measured by hand::

    python -m tests.hostile /tmp/hostile      # every case, one line each
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MiB = 1 << 20


@dataclass(frozen=True)
class Outcome:
    """How one measured command ended."""

    returncode: int
    stdout: str
    stderr: str
    peak_mib: float
    seconds: float

    def line(self) -> str:
        last = (self.stderr.strip().splitlines() or self.stdout.strip().splitlines() or [""])[-1]
        return (
            f"exit {self.returncode}, {self.peak_mib:.0f} MiB, {self.seconds:.1f} s: {last[:160]}"
        )


def measure(
    argv: Sequence[str], *, env: dict[str, str] | None = None, timeout_s: float = 120.0
) -> Outcome:
    """Run ``argv`` in a subprocess; its peak resident memory is the ``wait4`` rusage
    (``ru_maxrss``) of that child alone, taken by a small wrapper process."""
    started = time.monotonic()
    fd, report = tempfile.mkstemp(prefix="maasmix-peak-")
    os.close(fd)
    try:
        done = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("_peak.py")), report, *argv],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env={**os.environ, **(env or {})},
            cwd=ROOT,
            timeout=timeout_s,
            check=False,
        )
        text = Path(report).read_text(encoding="ascii").strip()
    finally:
        Path(report).unlink(missing_ok=True)
    return Outcome(
        done.returncode,
        done.stdout.decode("utf-8", "replace"),
        done.stderr.decode("utf-8", "replace"),
        (int(text) if text else 0) / 1024,
        time.monotonic() - started,
    )


def maasmix(*args: str, env: dict[str, str] | None = None, timeout_s: float = 120.0) -> Outcome:
    """``maasmix ARGS`` (the CLI of this checkout) measured."""
    code = "from maasmix.api.cli import main; main()"
    return measure([sys.executable, "-c", code, *args], env=env, timeout_s=timeout_s)


# --- inputs -------------------------------------------------------------------------


def _copy_members(base: Path, target: Path, replace: dict[str, Iterator[bytes] | bytes]) -> Path:
    """``base`` zip copied to ``target`` with the members of ``replace`` swapped (streamed,
    so a 1 GiB member never sits in memory)."""
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename not in replace:
                dst.writestr(info.filename, src.read(info))
        for name, content in replace.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with dst.open(info, "w", force_zip64=True) as handle:
                if isinstance(content, bytes):
                    handle.write(content)
                else:
                    for piece in content:
                        handle.write(piece)
    return target


def _member(base: Path, name: str) -> bytes:
    with zipfile.ZipFile(base) as src:
        return src.read(name)


def wide_row(base: Path, target: Path, commas: int) -> Path:
    """stops.txt's first data row followed by ``commas`` commas."""
    lines = _member(base, "stops.txt").split(b"\n")
    lines[1] = lines[1].rstrip(b"\r") + b"," * commas
    return _copy_members(base, target, {"stops.txt": b"\n".join(lines)})


def wide_header(base: Path, target: Path, columns: int) -> Path:
    """stops.txt's header with ``columns`` more (distinct) column names."""
    lines = _member(base, "stops.txt").split(b"\n")
    extra = b"".join(b",c%d" % i for i in range(columns))
    lines[0] = lines[0].rstrip(b"\r") + extra
    return _copy_members(base, target, {"stops.txt": b"\n".join(lines)})


def blank_shapes(base: Path, target: Path, size: int) -> Path:
    """A shapes.txt of a header then ``size`` bytes of blanks (lines of spaces)."""

    def pieces() -> Iterator[bytes]:
        yield b"shape_id,shape_pt_lat,shape_pt_lon,shape_pt_sequence\n"
        line = b" " * 1023 + b"\n"
        block = line * 1024
        for _ in range(size // len(block)):
            yield block

    return _copy_members(base, target, {"shapes.txt": pieces()})


def copy_of(source: Path, target: Path) -> Path:
    """A plain copy (the shared data folder is read-only)."""
    shutil.copyfile(source, target)
    return target


def scenario_with_grid(target: Path, grid: dict[str, float]) -> Path:
    """The demo city scenario with every price grid replaced by ``grid``."""
    import yaml

    data = yaml.safe_load((ROOT / "pricing" / "examples" / "demo_city.yaml").read_text("utf-8"))
    cands = data["candidates"]
    cands["prices"] = dict(grid)
    for spec in cands.get("listed", []):
        spec.pop("prices", None)
    if cands.get("generate"):
        cands["generate"].pop("prices", None)
    target.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return target
