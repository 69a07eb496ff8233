"""Reading the packaged reference tables (faq/reference/*.toml) once per process."""

from __future__ import annotations

import tomllib
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from faq import FAQ_DIR

REFERENCE_DIR = FAQ_DIR / "reference"


@cache
def load(name: str) -> dict[str, Any]:
    """The parsed ``faq/reference/<name>.toml``; cached, so the file is read once."""
    with (REFERENCE_DIR / f"{name}.toml").open("rb") as handle:
        return tomllib.load(handle)


def decimal(value: object, *, where: str) -> Decimal:
    # Money units are stored as strings so that TOML floats never round them.
    if not isinstance(value, str):
        raise TypeError(f"{where}: expected a decimal string, got {value!r}")
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise TypeError(f"{where}: not a decimal: {value!r}") from exc
