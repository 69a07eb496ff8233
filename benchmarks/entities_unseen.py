"""Entity precision, recall and F1 per kind and per batch file, with the gold intents given.

    .venv/bin/python benchmarks/entities_unseen.py [FILE.jsonl ...] [--misses] [--kinds date,cancel_reason]

Files default to the new writers' batches (``/work/corpus_new/*.jsonl``). Each message goes through
:func:`intents.understand.read_entities`, the pipeline's own entity path (the extractor, the English date
fallback and the question reader's cancel reason), with its labelled intents (and other reason), so a classifier error never
shows up as an entity error. A kind counts a true positive when the value is exactly the label; a wrong value
counts both a false positive and a false negative. ``email`` is not labelled and not scored.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from datetime import date
from pathlib import Path

from intents.understand import read_entities

KINDS = ("customer_no", "contract_no", "supply_point_id", "phone", "date", "cancel_reason")
DEFAULT_DIR = Path("/work/corpus_new")


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def score(path: Path, misses: list[str], kinds: tuple[str, ...]) -> dict[str, Counter[str]]:
    """Per kind: Counter of tp/fp/fn over the lines of ``path``; wrong lines are appended to ``misses``."""
    tally: dict[str, Counter[str]] = {kind: Counter() for kind in kinds}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        predicted = read_entities(
            row["text"],
            channel=row.get("channel", "email"),
            received=date.fromisoformat(row["received"]),
            intents=row["intents"],
            other_reason=row.get("other_reason"),
            subject=row.get("subject") or "",
        )
        for kind in kinds:
            want, got = row["entities"].get(kind), predicted.get(kind)
            if want is not None and want == got:
                tally[kind]["tp"] += 1
                continue
            if got is not None:
                tally[kind]["fp"] += 1
            if want is not None:
                tally[kind]["fn"] += 1
            if want != got:
                misses.append(f"{row['id']} {kind}: want={want} got={got}")
    return tally


def _row(name: str, counts: Counter[str]) -> str:
    p, r, f = _f1(counts["tp"], counts["fp"], counts["fn"])
    gold = counts["tp"] + counts["fn"]
    return f"  {name:<16} gold {gold:>4}  P {p:.3f}  R {r:.3f}  F1 {f:.3f}"


def main(argv: list[str]) -> int:
    show_misses = "--misses" in argv
    kinds: tuple[str, ...] = KINDS
    if "--kinds" in argv:
        kinds = tuple(argv[argv.index("--kinds") + 1].split(","))
        argv = [a for i, a in enumerate(argv) if i != argv.index("--kinds") + 1]
    paths = [Path(a) for a in argv if not a.startswith("-")] or sorted(DEFAULT_DIR.glob("*.jsonl"))
    total: dict[str, Counter[str]] = {kind: Counter() for kind in kinds}
    for path in paths:
        misses: list[str] = []
        tally = score(path, misses, kinds)
        print(path.stem)
        for kind in kinds:
            total[kind].update(tally[kind])
            print(_row(kind, tally[kind]))
        if show_misses:
            print("\n".join(f"    {m}" for m in misses))
    if len(paths) > 1:
        print("all files")
        for kind in kinds:
            print(_row(kind, total[kind]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
