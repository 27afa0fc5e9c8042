"""`maasmix demo`: the built-in demo city, end to end, with nothing to download."""

from __future__ import annotations


def demo() -> None:
    """Generate the demo city, read it back through the loaders and print its summary."""
