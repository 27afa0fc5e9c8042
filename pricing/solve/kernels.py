"""Compile the designer's numba kernels ahead of use, and load them before a clock starts.

The branch and bound (`pricing.solve._bnb_kernel`) and the exhaustive search's kernel
(`pricing.solve._enumeration_kernel`) are compiled by numba on first use and cached on disk
(``cache=True``, beside the sources or in ``NUMBA_CACHE_DIR``). Compiling them takes about
a minute and a half on a 2-core machine, which a first ``bundles optimise`` with a 60 s
limit would otherwise spend before it searches. `compile_kernels` runs every kernel once
on a tiny synthetic scenario with the argument types of real searches (profit with and
without rows, a log row, menus of 2 to 4 items, parallel and serial kernels), so that
`make setup` leaves a warm cache; `load_kernels` does the same at most once per process
(loading a warm cache takes well under a second) and is called by the searches before
their time limit starts counting.

Run as ``python -c "from maasmix.pricing.solve.kernels import main; main()"`` (what `make setup`
does).
"""

from __future__ import annotations

import threading
import time

_LOCK = threading.RLock()
_LOADED = False
_LOADING = False  # compile_kernels is running (its own searches must not wait for it)


def compile_kernels() -> float:
    """Compile (or load from the on-disk cache) every pricing kernel; seconds taken."""
    from maasmix.pricing.solve.branch_bound import branch_and_bound
    from maasmix.pricing.solve.enumeration import enumerate_menus
    from maasmix.pricing.solve.instance import compile_instance
    from maasmix.pricing.solve.rows import Requirements
    from maasmix.pricing.synthetic import synthetic_scenario

    t0 = time.perf_counter()
    for k in (2, 3, 4):
        inst = compile_instance(synthetic_scenario(2, 4, 3, k))
        for parallel in (True, False):
            for req in (Requirements(), Requirements(min_surplus=0.0)):
                branch_and_bound(inst, req, parallel=parallel)
            branch_and_bound(inst, kind="max_surplus", parallel=parallel)
        enumerate_menus(inst, compiled=True)
    return time.perf_counter() - t0


def load_kernels() -> None:
    """`compile_kernels` once per process (thread-safe; later calls return at once)."""
    global _LOADED, _LOADING
    if _LOADED:
        return
    with _LOCK:
        if _LOADED or _LOADING:
            return
        _LOADING = True
        try:
            compile_kernels()
            _LOADED = True
        finally:
            _LOADING = False


def main() -> None:
    """Compile the kernels and say how long it took."""
    seconds = compile_kernels()
    print(f"maasmix: pricing kernels compiled or loaded in {seconds:.1f} s")


if __name__ == "__main__":
    main()
