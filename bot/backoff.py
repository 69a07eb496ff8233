"""Jittered exponential backoff, one frozen value object shared by IMAP reconnects and SMTP retries."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delay before attempt ``n`` (1-based): ``min(max_delay, base * factor**(n-1))`` with ± ``jitter``.

    Full determinism is available for tests by passing ``jitter=0``.
    """

    base: float = 1.0
    factor: float = 2.0
    max_delay: float = 300.0
    jitter: float = 0.1  # fraction of the delay, both ways

    def __post_init__(self) -> None:
        if self.base <= 0 or self.max_delay < self.base:
            raise ValueError("Backoff needs 0 < base <= max_delay")
        if self.factor < 1:
            raise ValueError("Backoff factor must be >= 1")
        if not 0 <= self.jitter < 1:
            raise ValueError("Backoff jitter must be in [0, 1)")

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after the ``attempt``-th consecutive failure."""
        n = max(1, attempt)
        # Cap the exponent so a long outage cannot overflow the float.
        raw = min(self.max_delay, self.base * self.factor ** min(n - 1, 64))
        if not self.jitter:
            return raw
        spread = raw * self.jitter
        return max(0.0, raw + (rng or random).uniform(-spread, spread))
