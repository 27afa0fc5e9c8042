"""The designer's numba kernels compiled ahead (`maasmix.pricing.solve.kernels`), kept
importable here for ``python -c "from maasmix.pricing.kernels import main; main()"``
(what `make setup` runs)."""

from maasmix.pricing.solve.kernels import compile_kernels, load_kernels, main

__all__ = ["compile_kernels", "load_kernels", "main"]

if __name__ == "__main__":
    main()
