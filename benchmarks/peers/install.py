"""Install the optional peers that PyPI offers, and say which could not be installed.

``python -m benchmarks.peers.install [VENV]`` (``make bench-peers`` runs it):

- **pynigiri** goes into the running interpreter's environment (the project's ``.venv``,
  via the ``bench`` extra; installed here again if it is missing);
- **pyvalhalla**: its wheels that ship the tile builder (3.6 and later) are built for
  Python >= 3.12 only, so when this interpreter is older a separate environment ``VENV``
  (default ``build/peers-venv``) is made with the first Python >= 3.12 found
  (``$MAASMIX_PEER_PYTHON_BASE``, ``python3.13``/``python3.12`` on ``PATH``, pyenv's
  versions) and pyvalhalla is installed there.

Writes ``reports/peers-install.json`` (peer -> "ok" or the reason) and prints it. Exits 0
even when a peer could not be installed: the peer suite reports it as not measured.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYVALHALLA = "pyvalhalla>=3.9.1"
PYNIGIRI = "pynigiri>=0.1.5"


def _version_of(python: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    parts = out.stdout.split()
    return (int(parts[0]), int(parts[1])) if out.returncode == 0 and len(parts) == 2 else None


def find_python312() -> str | None:
    """The first interpreter >= 3.12 found (None: none)."""
    candidates = [os.environ.get("MAASMIX_PEER_PYTHON_BASE", "")]
    candidates += [shutil.which(n) or "" for n in ("python3.13", "python3.12")]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates += sorted((str(p) for p in pyenv.glob("3.1[2-9]*/bin/python3")), reverse=True)
    for c in candidates:
        v = _version_of(c) if c else None
        if v and v >= (3, 12):
            return c
    return None


def _pip(python: str, *args: str) -> tuple[bool, str]:
    proc = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-2:]
    return proc.returncode == 0, " ".join(tail)[-300:]


def _importable(python: str, module: str) -> bool:
    code = f"import {module}"
    return subprocess.run([python, "-c", code], capture_output=True, check=False).returncode == 0


def install_nigiri() -> str:
    if _importable(sys.executable, "pynigiri"):
        return "ok"
    ok, why = _pip(sys.executable, PYNIGIRI)
    return "ok" if ok and _importable(sys.executable, "pynigiri") else f"install failed: {why}"


def install_valhalla(venv: Path) -> str:
    if sys.version_info >= (3, 12):
        ok, why = _pip(sys.executable, PYVALHALLA)
        return "ok" if ok else f"install failed: {why}"
    peer_python = venv / "bin" / "python"
    if peer_python.exists() and _importable(str(peer_python), "valhalla"):
        return "ok"
    base = find_python312()
    if base is None:
        return (
            "not installed: pyvalhalla's wheels with the tile builder need Python >= 3.12 "
            "and none was found (set MAASMIX_PEER_PYTHON_BASE)"
        )
    made = subprocess.run([base, "-m", "venv", str(venv)], capture_output=True, text=True)
    if made.returncode != 0:
        return f"could not make {venv} with {base}: {made.stderr.strip()[-200:]}"
    ok, why = _pip(str(peer_python), PYVALHALLA)
    if not ok:
        return f"install failed in {venv}: {why}"
    return "ok" if _importable(str(peer_python), "valhalla") else "installed but not importable"


def main(argv: list[str]) -> int:
    venv = Path(argv[0]) if argv else ROOT / "build" / "peers-venv"
    status = {"pynigiri": install_nigiri(), "pyvalhalla": install_valhalla(venv)}
    out = ROOT / "reports" / "peers-install.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(status, indent=1) + "\n")
    for peer, state in status.items():
        print(f"{peer:11s} {state}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
