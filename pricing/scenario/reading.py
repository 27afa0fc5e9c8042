"""Reading a scenario: YAML or a parsed mapping, validated into a `Scenario`.

`load_scenario` reads a YAML file and raises `ScenarioError` (bad YAML, a bad value, values
that contradict each other such as an unknown mode, or a size beyond the limits of
`maasmix.pricing.scenario.limits`) naming the file, the line and the dotted field path;
the file itself is bounded before PyYAML builds it (`bounded_yaml`: size, no aliases,
item count, nesting depth).
`example_path` / `example_names`: the shipped examples (``pricing/examples``).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from maasmix.errors import ScenarioError, ScenarioMissingError
from maasmix.feeds.bounds import MAX_YAML_BYTES as MAX_YAML_BYTES
from maasmix.feeds.bounds import MAX_YAML_DEPTH as MAX_YAML_DEPTH  # re-exported
from maasmix.feeds.bounds import MAX_YAML_EVENTS as MAX_YAML_EVENTS  # re-exported
from maasmix.feeds.bounds import bounded_yaml as _bounded_yaml
from maasmix.pricing.scenario.limits import size_problems
from maasmix.pricing.scenario.schema import ModeShareSubsidy, Scenario

#: The shipped example scenarios.
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _field_path(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc)


def _clean_loc(data: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop the union-member tags pydantic inserts in error locations (not keys of the data)."""
    out: list[Any] = []
    node = data
    for part in loc:
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            node = node[part]
            out.append(part)
        elif isinstance(node, dict | list):
            if isinstance(part, str) and ("[" in part or part[:1].isupper() or part in _TAGS):
                continue
            out.append(part)  # a missing key: name it, then stop descending
            node = None
        else:
            continue
    return tuple(out)


_TAGS = {"mode_share", "per_subscriber", "float", "int", "str", "bool"}


def _yaml_line(root: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the YAML node at ``loc`` (the deepest one that exists)."""
    node = root
    line = None if node is None else node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = None
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    nxt = value
                    line = key.start_mark.line + 1
                    break
            if nxt is None:
                return line
            node = nxt
            if not isinstance(node, yaml.MappingNode | yaml.SequenceNode):
                line = node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _raise_validation(
    exc: ValidationError, data: Any, file: str | None, root: yaml.Node | None
) -> None:
    errors = exc.errors()
    first = errors[0]
    loc = _clean_loc(data, tuple(first.get("loc", ())))
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    raise ScenarioError(
        f"{first.get('msg', 'invalid value')}{more}",
        file=file,
        row=_yaml_line(root, loc),
        field=_field_path(loc) or None,
    ) from exc


def _check_references(s: Scenario) -> list[tuple[tuple[Any, ...], str]]:
    """Cross-field checks pydantic cannot express: (location, message) per problem."""
    problems: list[tuple[tuple[Any, ...], str]] = []
    modes = set(s.modes)
    segs = set(s.segments)

    def mode_keys(keys: Any, where: tuple[Any, ...]) -> None:
        for key in keys:
            if key not in modes:
                problems.append(((*where, key), f"unknown mode {key!r} (modes: {sorted(modes)})"))

    for sid, seg in s.segments.items():
        where = ("segments", sid)
        if seg.diary is not None:
            for name in ("usage", "size", "derived"):
                if getattr(seg, name) is not None:
                    problems.append(((*where, name), f"a diary segment has no typed {name}"))
            if seg.choice.taste:
                problems.append(
                    ((*where, "choice", "taste"), "a diary segment's tastes come from planning")
                )
            if s.planning is None:
                problems.append(((*where, "diary"), "a diary needs a 'planning' block"))
        else:
            for name in ("usage", "size"):
                if getattr(seg, name) is None:
                    problems.append(((*where, name), f"give {name} (or a diary)"))
        if seg.derived is not None and seg.choice.taste:
            problems.append(((*where, "choice", "taste"), "derived figures replace tastes"))
        mode_keys(seg.usage or {}, ("segments", sid, "usage"))
        for pid, figures in (seg.derived or {}).items():
            mode_keys(figures.usage, ("segments", sid, "derived", pid, "usage"))
        mode_keys(seg.choice.taste, ("segments", sid, "choice", "taste"))
        for oid in seg.choice.offers:
            if oid not in s.offers:
                problems.append((("segments", sid, "choice", "offers", oid), "unknown offer"))
        for oid in s.offers:
            if seg.diary is not None or (seg.derived is not None and oid in seg.derived):
                continue  # the offer's utility follows from its derived value
            has_class_value = seg.classes is not None and all(
                c.offers is not None and oid in c.offers for c in seg.classes
            )
            if oid not in seg.choice.offers and not has_class_value:
                problems.append(
                    (("segments", sid, "choice", "offers"), f"no utility for offer {oid!r}")
                )
        if seg.classes is not None and seg.mixed is not None:
            problems.append((("segments", sid, "mixed"), "use either classes or mixed, not both"))
        if seg.classes is not None:
            total = sum(c.weight for c in seg.classes)
            if not math.isclose(total, 1.0, abs_tol=1e-6):
                problems.append((("segments", sid, "classes"), f"weights sum to {total}, not 1"))
            names = [c.name for c in seg.classes]
            if len(set(names)) != len(names):
                problems.append((("segments", sid, "classes"), "duplicate class names"))
            for i, c in enumerate(seg.classes):
                if c.taste is not None:
                    mode_keys(c.taste, ("segments", sid, "classes", i, "taste"))
    for oid, offer in s.offers.items():
        mode_keys(offer.includes, ("offers", oid, "includes"))
    cands = s.candidates
    for i, b in enumerate(cands.listed):
        mode_keys(b.includes, ("candidates", "listed", i, "includes"))
        if b.prices is None and cands.prices is None:
            problems.append((("candidates", "listed", i), "no price grid (and no default)"))
    names = [b.name for b in cands.listed]
    if len(set(names)) != len(names):
        problems.append((("candidates", "listed"), "duplicate bundle names"))
    if cands.generate is not None:
        mode_keys(cands.generate.levels, ("candidates", "generate", "levels"))
        if cands.generate.prices is None and cands.prices is None:
            problems.append((("candidates", "generate"), "no price grid (and no default)"))
    if not cands.listed and cands.generate is None:
        problems.append((("candidates",), "no candidate bundles: give listed or generate"))
    if s.planning is not None:
        for i, rule in enumerate(s.planning.legs or []):
            if rule.mode is not None:
                mode_keys([rule.mode], ("planning", "legs", i, "mode"))
                if rule.mode in modes and s.modes[rule.mode].unit == "day":
                    problems.append(
                        (("planning", "legs", i, "mode"), "planned legs cannot count in days")
                    )
    pol = s.policy
    operators = {m.operator for m in s.modes.values()}
    for op in pol.operator_floors:
        if op not in operators:
            problems.append(
                (("policy", "operator_floors", op), f"unknown operator ({sorted(operators)})")
            )
    for sid in pol.surplus_floors:
        if sid not in segs:
            problems.append((("policy", "surplus_floors", sid), "unknown segment"))
    for i, ins in enumerate(pol.subsidy.instruments):
        if isinstance(ins, ModeShareSubsidy):
            mode_keys(ins.modes, ("policy", "subsidy", "instruments", i, "modes"))
        elif ins.segments is not None:
            for sid in ins.segments:
                if sid not in segs:
                    problems.append(
                        (
                            ("policy", "subsidy", "instruments", i, "segments"),
                            f"unknown segment {sid!r}",
                        )
                    )
    return problems


def validate_scenario(
    data: Any, *, file: str | None = None, root: yaml.Node | None = None
) -> Scenario:
    """Validate a parsed scenario (a dict, e.g. a JSON request body) into a `Scenario`.

    Raises
    ------
    ScenarioError
        A value has the wrong type or range (field path and, from YAML, line).
    ScenarioError
        Values contradict each other (unknown mode, offer, segment or operator).
    """
    if not isinstance(data, dict):
        raise ScenarioError("a scenario must be a mapping at the top level", file=file, row=1)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        _raise_validation(exc, data, file, root)
        raise  # unreachable: _raise_validation always raises
    problems = _check_references(scenario)
    if not problems:  # sizes estimated before anything is allocated (pricing.scenario.limits)
        problems = size_problems(scenario)
    if problems:
        loc, message = problems[0]
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise ScenarioError(
            message + more, file=file, row=_yaml_line(root, loc), field=_field_path(loc)
        )
    return scenario


def bounded_yaml(text: str, *, file: str | None = None) -> tuple[Any, yaml.Node | None]:
    """Parse YAML text with bounds checked before PyYAML builds anything (size, nesting,
    aliases, item count: `maasmix.feeds.bounds.bounded_yaml`). Returns the data and the
    composed root node (for line numbers). Errors are `ScenarioError` naming ``file``
    (and the line where the parser knows it).
    """
    return _bounded_yaml(text, file=file, error=_scenario_error)


def _scenario_error(message: str, file: str | None, row: int | None) -> ScenarioError:
    return ScenarioError(message, file=file, row=row)


def read_bounded_text(path: str | Path, *, what: str = "scenario") -> str:
    """The UTF-8 text (a BOM dropped) of a regular file of at most `MAX_YAML_BYTES` bytes.

    Raises `ScenarioMissingError` (no such regular file) or `ScenarioError` (too large,
    unreadable, not UTF-8), naming the file and ``what`` it should be.
    """
    p = Path(path)
    try:
        regular = p.is_file()
    except OSError:  # a name too long for the file system
        regular = False
    if not regular:
        raise ScenarioMissingError(f"{what} file not found", file=str(p)[:200])
    try:
        with p.open("rb") as handle:
            raw = handle.read(MAX_YAML_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(f"cannot read: {exc.strerror or exc}", file=str(p)) from None
    if len(raw) > MAX_YAML_BYTES:
        raise ScenarioError(f"{what} file larger than {MAX_YAML_BYTES} bytes", file=str(p))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            f"{what} file is not UTF-8 text (byte {exc.start})", file=str(p)
        ) from None


def parse_scenario(text: str, *, file: str | None = None) -> Scenario:
    """Parse (bounded, see `bounded_yaml`) and validate scenario YAML text (``file``
    names it in errors)."""
    data, root = bounded_yaml(text, file=file)
    return validate_scenario(data, file=file, root=root)


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario YAML file (see `read_bounded_text` and `bounded_yaml` for its
    bounds, `validate_scenario` for the other errors raised)."""
    return parse_scenario(read_bounded_text(path), file=str(path))


def example_path(name: str) -> Path:
    """The path of a shipped example scenario (``demo_city`` or ``hand_check``)."""
    path = EXAMPLES / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(example_names())
        raise ScenarioMissingError(
            f"no example scenario named {name!r} (known: {known})", file=f"{name}.yaml"
        )
    return path


def example_names() -> list[str]:
    """The names of the shipped example scenarios."""
    return sorted(p.stem for p in EXAMPLES.glob("*.yaml"))
