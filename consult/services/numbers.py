"""Whole numbers out of JSON, counted as JSON Schema counts them (the API's description).

JSON has one number type: `12` and `12.0` are the same integer to a schema validator, so
they are to us. `true` is not a number, and `12.5` is not whole.
"""

from __future__ import annotations

# Ids and counts beyond this would overflow a database column (a 5xx, not a 404).
MAX_ID = 2**53


def json_integer(value: object) -> int | None:
    """`value` as an int if JSON Schema calls it an integer, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) <= MAX_ID:
        return int(value)
    return None


def json_id(value: object) -> int | None:
    """A row id (1 to 2**53) as an int, else None."""
    number = json_integer(value)
    return number if number is not None and 1 <= number <= MAX_ID else None
