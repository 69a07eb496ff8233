"""Drafting speed, Japanese against English: ``draft_reply`` for every intent, verified and not.

    .venv/bin/python benchmarks/drafting_bench.py [--rounds 200]

Uses the hand-built cases of ``tests/desk/resolvers/cases.py`` (no store). Prints drafts per second and the
p50 / p99 per draft for each language. Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desk.drafting import draft_reply
from intents.knowledge import load_knowledge
from intents.model import INTENT_IDS
from tests.desk.resolvers.cases import DESK, case


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    knowledge = load_knowledge()
    cases = [case(i, verified=v, entities={"date": "2027-03-31"}) for i in INTENT_IDS for v in (True, False)]
    for language in ("ja", "en"):
        localised = [replace(c, understanding=replace(c.understanding, language=language)) for c in cases]
        for c in localised:  # warm the template cache
            draft_reply(c, desk=DESK, knowledge=knowledge)
        times: list[float] = []
        for _ in range(args.rounds):
            for c in localised:
                start = time.perf_counter()
                draft_reply(c, desk=DESK, knowledge=knowledge)
                times.append(time.perf_counter() - start)
        q = statistics.quantiles(times, n=100)
        print(
            f"{language}: {len(times) / sum(times):,.0f} drafts/s over {len(times):,} drafts;"
            f" p50 {q[49] * 1000:.2f} ms, p99 {q[98] * 1000:.2f} ms"
        )


if __name__ == "__main__":
    main()
