import pytest

from desk.errors import InputError
from desk.rules.areas import all_areas, area, area_for_supply_point


def test_ten_areas_in_code_order() -> None:
    assert [a.code for a in all_areas()] == [f"{i:02d}" for i in range(1, 11)]


def test_tokyo_is_50hz_and_kansai_60hz() -> None:
    assert (area("03").name, area("03").utility, area("03").frequency_hz) == ("東京", "東京電力", 50)
    assert area("06").frequency_hz == 60


def test_chubu_is_60hz_with_a_50hz_note() -> None:
    chubu = area("04")
    assert chubu.frequency_hz == 60
    assert "50Hz" in chubu.frequency_note


def test_supply_point_number_gives_its_area_even_full_width_and_hyphenated() -> None:
    assert area_for_supply_point("０９-1234-5678-9012-3456-7890").name == "九州"


def test_unknown_area_code_is_input_error() -> None:
    with pytest.raises(InputError):
        area("11")
    with pytest.raises(InputError):
        area_for_supply_point("03123")
