"""Entity exact match on the labelled dev set, per kind (precision and recall), with the misses.

    .venv/bin/python benchmarks/entities_dev.py [path/to/inquiries.jsonl] [-q]

The labelled intents are passed to ``extract_entities`` (they decide cancel_reason). Kinds the dev set
does not label (``email``) are not scored. Also prints the extraction rate (messages per second).
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

from intents.entities import extract_entities

KINDS = ("customer_no", "contract_no", "supply_point_id", "phone", "date", "cancel_reason")
DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "dev-set" / "inquiries.jsonl"


def main(argv: list[str]) -> int:
    quiet = "-q" in argv
    paths = [a for a in argv if not a.startswith("-")]
    path = Path(paths[0]) if paths else DEFAULT
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    misses: list[str] = []
    start, cpu = time.perf_counter(), time.process_time()
    predictions = [
        extract_entities(r["text"], received=date.fromisoformat(r["received"]), intents=r["intents"])
        for r in rows
    ]
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    for row, predicted in zip(rows, predictions, strict=True):
        gold = row["entities"]
        for kind in KINDS:
            want, got = gold.get(kind), predicted.get(kind)
            if want is not None and want == got:
                tp[kind] += 1
                continue
            if got is not None:
                fp[kind] += 1
            if want is not None:
                fn[kind] += 1
            if want != got:
                misses.append(f"{row['id']} {kind}: want={want} got={got}")
    print(f"{'kind':<16} {'gold':>5} {'prec':>6} {'recall':>6} {'exact':>6}")
    for kind in KINDS:
        gold_n = tp[kind] + fn[kind]
        prec = tp[kind] / (tp[kind] + fp[kind]) if tp[kind] + fp[kind] else 1.0
        rec = tp[kind] / gold_n if gold_n else 1.0
        exact = 1 - sum(1 for m in misses if f" {kind}:" in m) / len(rows)
        print(f"{kind:<16} {gold_n:>5} {prec:>6.3f} {rec:>6.3f} {exact:>6.3f}")
    print(
        f"{len(rows)} messages in {elapsed:.3f}s wall, {cpu:.3f}s CPU "
        f"({len(rows) / elapsed:.0f} msg/s wall, {len(rows) / cpu:.0f} msg/s CPU; first call includes warm-up)"
    )
    if not quiet:
        print("\n".join(misses))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
