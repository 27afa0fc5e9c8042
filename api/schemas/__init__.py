"""Typed response bodies of the HTTP API (and of the CLI's ``--json``), one module per area."""
