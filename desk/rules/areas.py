"""Grid areas 01–10: name, local utility, grid operator and frequency.

Implements domain.md § Voltage and frequency and the area code of § Identifiers (the first two digits of a
供給地点特定番号). The table lives in ``faq/reference/areas.toml``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache

from desk.errors import InputError
from desk.rules import _reference

__all__ = ["Area", "all_areas", "area", "area_for_supply_point"]


@dataclass(frozen=True, slots=True)
class Area:
    code: str  # "01".."10"
    name: str  # 東京
    utility: str  # 地域の電力会社 as the service guide names it, e.g. 東京電力
    grid_operator: str  # 一般送配電事業者, e.g. 東京電力パワーグリッド
    frequency_hz: int  # 50 or 60
    frequency_note: str = ""  # e.g. 中部: 一部地域は50Hz
    # The same names in English replies (Tokyo, Tokyo Electric Power (TEPCO), TEPCO Power Grid).
    name_en: str = ""
    utility_en: str = ""
    grid_operator_en: str = ""
    frequency_note_en: str = ""


@cache
def _table() -> dict[str, Area]:
    rows = _reference.load("areas")["area"]
    areas = {
        str(row["code"]): Area(
            code=str(row["code"]),
            name=str(row["name"]),
            utility=str(row["utility"]),
            grid_operator=str(row["grid_operator"]),
            frequency_hz=int(row["frequency_hz"]),
            frequency_note=str(row.get("frequency_note", "")),
            name_en=str(row["name_en"]),
            utility_en=str(row["utility_en"]),
            grid_operator_en=str(row["grid_operator_en"]),
            frequency_note_en=str(row.get("frequency_note_en", "")),
        )
        for row in rows
    }
    return areas


def all_areas() -> tuple[Area, ...]:
    """Every area in code order."""
    return tuple(sorted(_table().values(), key=lambda a: a.code))


def area(code: str) -> Area:
    """The area for a two-digit code (domain.md § Voltage and frequency); InputError if unknown."""
    try:
        return _table()[unicodedata.normalize("NFKC", code).strip().zfill(2)]
    except KeyError:
        raise InputError(f"エリアコード「{code}」は01〜10のいずれかで指定してください。") from None


def area_for_supply_point(supply_point_no: str) -> Area:
    """The area of a 22-digit 供給地点特定番号 (its first two digits; domain.md § Identifiers)."""
    normalised = unicodedata.normalize("NFKC", supply_point_no)
    digits = "".join(ch for ch in normalised if ch in "0123456789")
    if len(digits) != 22:
        raise InputError("供給地点特定番号は22桁の数字で指定してください。")
    return area(digits[:2])
