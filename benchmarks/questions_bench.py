"""Cost of question-level understanding per message (intents/questions.py), on the review-set texts.

Run from the repository root: .venv/bin/python benchmarks/questions_bench.py
Prints microseconds per message (p50 / p99) for extract_questions alone; no test asserts a time.
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from intents.questions import extract_questions, load_patterns  # noqa: E402

TODAY = dt.date(2026, 6, 10)


def _texts(*names: str) -> list[str]:
    texts = []
    for name in names:
        data = tomllib.loads((ROOT / "tests" / "desk" / "review" / name).read_text(encoding="utf-8"))
        texts += [str(item["text"]) for item in data["inquiry"]]
    return texts


def main() -> None:
    load_patterns()
    sets = {
        "Japanese": _texts("inquiries.toml", "inquiries_heldout.toml"),
        "English": _texts("inquiries_en.toml", "inquiries_en_heldout.toml", "inquiries_en_heldout2.toml"),
    }
    for language, texts in sets.items():
        timings = []
        for _ in range(20):
            for text in texts:
                start = time.perf_counter()
                extract_questions(text, raw=text, received=TODAY)
                timings.append((time.perf_counter() - start) * 1e6)
        timings.sort()
        p90 = timings[int(len(timings) * 0.9)]
        p99 = timings[int(len(timings) * 0.99)]
        print(
            f"{language}: {len(texts)} texts × 20: p50 {statistics.median(timings):.0f} µs, p90 {p90:.0f} µs, "
            f"p99 {p99:.0f} µs per message (p99 on a shared machine is mostly other processes)"
        )


if __name__ == "__main__":
    main()
