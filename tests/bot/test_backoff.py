from __future__ import annotations

import random

import pytest

from bot.backoff import Backoff


def test_delay_doubles_and_caps_without_jitter() -> None:
    b = Backoff(base=1, factor=2, max_delay=10, jitter=0)
    assert [b.delay(n) for n in (1, 2, 3, 4, 5, 100)] == [1, 2, 4, 8, 10, 10]


def test_jitter_stays_within_its_fraction() -> None:
    b = Backoff(base=10, max_delay=10, jitter=0.2)
    delays = {b.delay(3, random.Random(seed)) for seed in range(50)}
    assert all(8 <= d <= 12 for d in delays) and len(delays) > 1


@pytest.mark.parametrize(
    "kwargs", [{"base": 0}, {"factor": 0.5}, {"jitter": 1.0}, {"base": 5, "max_delay": 1}]
)
def test_invalid_backoff_is_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Backoff(**kwargs)
