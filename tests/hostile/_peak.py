"""``python tests/hostile/_peak.py REPORT ARGV...``: run ARGV, write its peak RSS (KiB,
``wait4`` rusage of that child alone) to REPORT, exit with its status."""

from __future__ import annotations

import os
import subprocess
import sys


def main() -> int:
    report, argv = sys.argv[1], sys.argv[2:]
    child = subprocess.Popen(argv)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    with open(report, "w", encoding="ascii") as handle:
        handle.write(str(usage.ru_maxrss))
    return child.returncode if child.returncode >= 0 else 128 - child.returncode


if __name__ == "__main__":
    sys.exit(main())
