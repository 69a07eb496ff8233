"""The cancellation-reason model (:mod:`intents.reason_model`): fit it, and measure what it adds to the rules.

    .venv/bin/python benchmarks/reason_model.py [--write] [EXTRA.jsonl ...]

Held out by writer: for each writer's batch (``w_*``) of ``tests/intents/corpus``, the model is fitted on every
other batch's cancellations and the reason F1 of the rules alone is compared with the rules plus the model where
they found nothing, at several lines. EXTRA files (new writers nobody has read) are scored by the model fitted on
the whole corpus. ``--write`` stores that model in ``faq/reason_model.npz`` (``cross_style.py --write-model``
does too). A few seconds per fold; about two minutes in all.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from intents.entities import extract_entities  # noqa: E402
from intents.linear import LinearModel  # noqa: E402
from intents.reason_model import REASON_MODEL_FILE, fit_reason_model, model_reason  # noqa: E402
from intents.understand import prepare  # noqa: E402

CORPUS = ROOT / "tests" / "intents" / "corpus"
LINES = (0.5, 0.55, 0.6, 0.65, 0.7, 0.8)


def cancellations(paths: list[Path]) -> list[dict[str, Any]]:
    """Every cancellation message of ``paths`` with its cleaned body, gold reason and the rules' reason."""
    rows = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if "cancellation" not in row["intents"]:
                continue
            received = date.fromisoformat(row["received"])
            rows.append(
                {
                    "batch": path.stem,
                    "body": prepare(row["text"], channel=row["channel"]).body,
                    "gold": row["entities"].get("cancel_reason"),
                    "rule": extract_entities(row["text"], received=received, intents=row["intents"]).get(
                        "cancel_reason"
                    ),
                }
            )
    return rows


def f1(pairs: list[tuple[str | None, str | None]]) -> float:
    tp = sum(1 for p, g in pairs if g is not None and p == g)
    fp = sum(1 for p, g in pairs if p is not None and p != g)
    fn = sum(1 for p, g in pairs if g is not None and p != g)
    return 2 * tp / max(2 * tp + fp + fn, 1)


def score(model: LinearModel, rows: list[dict[str, Any]], into: dict[str, list[Any]], key: str) -> None:
    for row in rows:
        into[f"{key} rules"].append((row["rule"], row["gold"]))
        for line in LINES:
            fallback = row["rule"] or model_reason(row["body"], model, line)
            into[f"{key} rules+model@{line}"].append((fallback, row["gold"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="store the model fitted on the whole corpus")
    parser.add_argument("extra", nargs="*", type=Path, help="new writers' batches, scored first-seen")
    args = parser.parse_args()
    corpus = cancellations(sorted(CORPUS.glob("*.jsonl")))
    results: dict[str, list[Any]] = defaultdict(list)
    for writer in sorted({r["batch"] for r in corpus if r["batch"].startswith("w_")}):
        train = [r for r in corpus if r["batch"] != writer]
        model = fit_reason_model([r["body"] for r in train], [r["gold"] for r in train])
        score(model, [r for r in corpus if r["batch"] == writer], results, "held out by writer:")
    final = fit_reason_model([r["body"] for r in corpus], [r["gold"] for r in corpus])
    if args.extra:
        score(final, cancellations(args.extra), results, "extra files:")
    for key, pairs in results.items():
        print(f"{key:45} F1 {f1(pairs):.3f}  ({len(pairs)} cancellations)")
    if args.write:
        final.save(REASON_MODEL_FILE)
        print(f"wrote {REASON_MODEL_FILE.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
