"""The JSON Schema of an inline traveller bundle (``bundle`` of ``/v1/plan``).

`BUNDLE_SCHEMA` states `maasmix.pricing.scenario.bundle_file`'s inline shape: the OpenAPI
document gives it to the POST body's ``bundle`` and to GET's ``bundle`` parameter (JSON
text, ``content`` application/json), and `check_bundle` holds every inline bundle to it
before it is read, so that what the document admits is what the code reads.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from maasmix.engine.bundle_prices import KINDS
from maasmix.errors import QueryError

__all__ = ["BUNDLE_SCHEMA", "check_bundle"]

#: A rule's amount: a number >= 0, or "unlimited".
_AMOUNT: dict[str, Any] = {"anyOf": [{"type": "number", "minimum": 0}, {"const": "unlimited"}]}
#: Ids a transit rule names: one, or a list of texts and integers.
_IDS: dict[str, Any] = {
    "anyOf": [
        {"type": "string"},
        {"type": "array", "items": {"type": ["string", "integer"]}},
        {"type": "null"},
    ]
}


def _per_kind(kinds: list[str], amount: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": ["object", "null"],
        "propertyNames": {"enum": kinds},
        "additionalProperties": amount,
    }


_RENTAL_KINDS = sorted(KINDS - {"transit"})
#: The inline bundle (`maasmix.pricing.scenario.bundle_file`) as a JSON Schema.
BUNDLE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "an inline traveller bundle (maasmix.pricing.scenario.bundle_file)",
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "pattern": "[^\\s\\x1c-\\x1f\\x85]", "maxLength": 200},
        "transit": {
            "anyOf": [
                {"enum": ["all", True, False, None]},
                {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {k: _IDS for k in ("networks", "areas", "agencies")},
                },
            ]
        },
        "free_minutes_per_ride": _per_kind(_RENTAL_KINDS, _AMOUNT),
        "minutes_left": _per_kind(_RENTAL_KINDS, _AMOUNT),
        "rides_left": _per_kind(sorted(KINDS), _AMOUNT),
        "discount_percent": _per_kind(
            sorted(KINDS), {"type": "number", "minimum": 0, "maximum": 100}
        ),
    },
}
_BUNDLE_VALIDATOR = Draft202012Validator(BUNDLE_SCHEMA)


def check_bundle(value: object) -> None:
    """Refuse an inline bundle that `BUNDLE_SCHEMA` does not admit (a 422 naming
    ``bundle`` and the path in it)."""
    error = best_match(_BUNDLE_VALIDATOR.iter_errors(value))
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path)
        raise QueryError(
            f"{where + ': ' if where else ''}{error.message[:200]}", parameter="bundle"
        )
