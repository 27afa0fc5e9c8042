"""The A/B alternation (`benchmarks.baton`): two sides on real named pipes, in threads."""

from __future__ import annotations

import threading
from pathlib import Path

from benchmarks.baton import Baton, make_fifos


def _alternate(folder: Path, rounds: dict[str, int]) -> list[str]:
    make_fifos(folder)
    order: list[str] = []
    errors: list[BaseException] = []

    def side(name: str) -> None:
        try:
            baton = Baton(folder, name)
            for i in range(1, rounds[name] + 1):
                order.append(f"{name}{i}")
                baton.after_round()
            baton.close()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=side, args=(n,), daemon=True) for n in "AB"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert not errors
    assert not any(t.is_alive() for t in threads), f"deadlock after {order}"
    return order


def test_rounds_alternate_in_pairs_with_each_side_first_in_half(tmp_path: Path) -> None:
    order = _alternate(tmp_path, {"A": 4, "B": 4})
    assert order == ["A1", "B1", "B2", "A2", "A3", "B3", "B4", "A4"]


def test_a_side_with_more_rounds_runs_on_alone_after_the_other_ends(tmp_path: Path) -> None:
    assert _alternate(tmp_path, {"A": 2, "B": 5}) == ["A1", "B1", "B2", "A2", "B3", "B4", "B5"]


def test_the_other_side_ending_first_does_not_block(tmp_path: Path) -> None:
    assert _alternate(tmp_path, {"A": 5, "B": 1}) == [
        "A1",
        "B1",
        "A2",
        "A3",
        "A4",
        "A5",
    ]
