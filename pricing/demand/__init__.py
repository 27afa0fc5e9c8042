"""Demand: what travellers use and how they choose.

- `typed`: segments written as figures (usage, tastes, latent classes, mixed draws)
  turned into the demand classes the model solves;
- diaries, planned door to door: `planning` (every trip once on the network), `choice`
  (pay as you go and every product on those plans), `jobs` (chunks on Dask, resumable),
  `leg_mapping` (which legs count as which mode), `diaries` (the bridge: `derive_demand`
  turns diary segments into typed ones), `example` (the shipped diary example's inputs).
"""
