"""Solving: the model and its exact solvers.

`instance` compiles a scenario into arrays, `rows` writes every policy and objective as a
row, `evaluate` scores a menu exactly, `objectives` (`optimise`) picks a method and
returns a `maasmix.pricing.results.Result`. Methods: `enumeration` (every menu, numpy or
the `_enumeration_kernel`), `branch_bound` (bounds `_bounds`, `_bnb_kernel`, warm start
`_warmstart`), both over the `menus` problem; `model` (the MIP, SCIP or CBC, every claim
checked); `infeasibility` (which rows conflict); `kernels` (compiled ahead at set-up).
"""
