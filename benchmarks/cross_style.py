"""Fit the linear model and the calibration on the labelled corpus, and measure what generalises.

Run: ``.venv/bin/python benchmarks/cross_style.py [--write-model]``.

Prints, side by side, the scores on
* the dev set (``../shared/dev-set/inquiries.jsonl``; never trained on: a regression check),
* ``tests/intents/messages/heldout.jsonl`` (never trained on),
* ``tests/intents/messages/unseen_writers.jsonl`` (sixteen independent writers' batches kept out of the corpus: never
  fitted on and their misses never read, so they stay a first-seen check),
* the own corpus ``tests/intents/corpus/*.jsonl`` with the shipped model (in-sample: it was fitted on it),
* cross-style: each writer's batch (``w_*``: one person's mix of every kind) held out alone, and the kind
  batches (one kind of message each) in ``--kind-folds`` held-out groups; the linear model fitted on the
  knowledge files' examples and the *other* batches only, the calibration on the other batches' out-of-batch
  evidence, the abstention line on the other batches' held-out probabilities. Never a split by line.
  Also printed: the held-out curves of the abstention line and of a second-intent line.

``--write-model`` then stores the model fitted on every batch in ``faq/linear_model.npz`` and its
calibration in ``faq/calibration.toml``; ``--dump FILE`` writes every held-out case as JSON lines. Fitting
takes ~40–75 s per model (two in parallel, ``--jobs``); a whole run about 45–75 minutes on 108 batches.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from intents import linear  # noqa: E402
from intents.classifier import FEATURES, HINT_WEIGHT, Calibration, Classifier, _logistic  # noqa: E402
from intents.model import INTENT_IDS, OTHER_REASONS  # noqa: E402
from intents.reason_model import REASON_MODEL_FILE, fit_reason_model  # noqa: E402
from intents.understand import Case, Report, Understander, evaluate, prepare, run_cases  # noqa: E402

CORPUS = ROOT / "tests" / "intents" / "corpus"
HELDOUT = ROOT / "tests" / "intents" / "messages" / "heldout.jsonl"
UNSEEN = ROOT / "tests" / "intents" / "messages" / "unseen_writers.jsonl"
DEV = ROOT.parent / "shared" / "dev-set" / "inquiries.jsonl"
if not DEV.exists():
    DEV = Path("/work/shared/dev-set/inquiries.jsonl")
LABELS = (*INTENT_IDS, *(linear.REASON_PREFIX + r for r in OTHER_REASONS))


def read_rows(path: Path) -> list[dict[str, Any]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            row["received_date"] = date.fromisoformat(str(row.get("received") or "2026-01-01"))
            rows.append(row)
    return rows


def corpus_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        for row in read_rows(path):
            row.setdefault("batch", path.stem)
            rows.append(row)
    return rows


@dataclass
class Prepared:
    canon: str
    body: str
    subject: str
    category: str | None
    targets: list[str]


def prepared(classifier: Classifier, row: dict[str, Any]) -> Prepared:
    prep = prepare(row["text"], channel=str(row.get("channel") or "email"))
    subject = str(row.get("subject") or "")
    category = (prep.form.get("category") if prep.form else None) or None
    canon = classifier.canon(f"{subject}\n{prep.body}" if subject else prep.body)
    targets = list(row["intents"])
    if row.get("other_reason"):
        targets.append(linear.REASON_PREFIX + str(row["other_reason"]))
    return Prepared(canon, prep.body, subject, category, targets)


def knowledge_rows(classifier: Classifier) -> tuple[list[str], list[list[str]], list[list[str]]]:
    """The knowledge files' examples as training rows: intent examples teach the intents only (an ``other``
    example's reason is not stated), reason examples teach ``other`` and their reason."""
    texts, targets, known = [], [], []
    for intent_id, intent in classifier.knowledge.intents.items():
        for example in intent.examples:
            texts.append(classifier.canon(example))
            targets.append([intent_id])
            known.append(list(INTENT_IDS))
        for reason, examples in intent.reason_examples.items():
            for example in examples:
                texts.append(classifier.canon(example))
                targets.append([intent_id, linear.REASON_PREFIX + reason])
                known.append(list(LABELS))
    # Two compositions of the examples teach what single lines cannot: a thank-you or closing line before a
    # question does not make the message a "thanks" (replies in a thread start that way), and a message that
    # asks two things asks both. Pairings are fixed (every 7th example onwards), so a refit is reproducible.
    thanks = [*classifier.knowledge.intents["other"].reason_examples.get("thanks", [])]
    procedures = [(i, e) for i, k in classifier.knowledge.intents.items() if i != "other" for e in k.examples]
    for n, (intent_id, example) in enumerate(procedures):
        if thanks:
            texts.append(classifier.canon(f"{thanks[n % len(thanks)]}\n{example}"))
            targets.append([intent_id])
            known.append(list(LABELS))
        other_id, other_example = procedures[(n * 7 + 13) % len(procedures)]
        if other_id != intent_id:
            texts.append(classifier.canon(f"{example}\n{other_example}"))
            targets.append([intent_id, other_id])
            known.append(list(INTENT_IDS))
    return texts, targets, known


def fit_linear(
    classifier: Classifier,
    rows: Sequence[Prepared],
    knowledge: tuple[list[str], list[list[str]], list[list[str]]],
) -> linear.LinearModel:
    texts, targets, known = knowledge
    return linear.fit(
        [*texts, *(r.canon for r in rows)],
        [*targets, *(r.targets for r in rows)],
        LABELS,
        known=[*known, *([list(LABELS)] * len(rows))],
    )


def fit_calibration(features: Sequence[np.ndarray], labels: Sequence[np.ndarray], source: str) -> Calibration:
    x = np.vstack(features)
    y = np.concatenate(labels)
    hint = FEATURES.index("hint")
    fitted, bias = _logistic(np.delete(x, hint, axis=1), y, l2=1.0)
    weights = np.insert(fitted, hint, HINT_WEIGHT)
    return Calibration(weights=tuple(float(w) for w in weights), bias=float(bias), fitted_on=source)


def scores(report: Report) -> dict[str, float]:
    english = report.per_language.get("en")
    return {
        "n": report.count,
        "top1": report.top1,
        "micro_f1": report.micro.f1,
        "other_p": report.other_precision,
        "en_top1": english.top1 if english else float("nan"),
        "entity_f1": report.entity_micro.f1,
        **{f"ent:{k}": t.f1 for k, t in report.entities.items() if t.tp + t.fn},
    }


WRITER_PREFIX = "w_"


def folds_of(batches: Sequence[str], kind_folds: int) -> list[list[str]]:
    """The held-out groups: each writer's batch (``w_*``: one person's mix of every kind) alone, and the
    kind batches (one kind of message each) alone or, with ``kind_folds`` > 0, spread round-robin over that
    many groups. Never a split by line."""
    writers = [[b] for b in batches if b.startswith(WRITER_PREFIX)]
    kinds = [b for b in batches if not b.startswith(WRITER_PREFIX)]
    if kind_folds <= 0:
        return writers + [[k] for k in kinds]
    return writers + [g for g in (kinds[i::kind_folds] for i in range(kind_folds)) if g]


_FOLD_STATE: dict[str, Any] = {}


def _fit_without(held: list[str]) -> tuple[list[str], linear.LinearModel]:
    state = _FOLD_STATE
    train = [p for p, r in zip(state["prep"], state["rows"], strict=True) if r["batch"] not in held]
    return held, fit_linear(state["classifier"], train, state["knowledge"])


def sweep_primary(
    classifier: Classifier,
    rows: Sequence[dict[str, Any]],
    probs: Sequence[np.ndarray],
    *,
    show: bool = False,
) -> float:
    """Top-1 and ``other`` precision of the held-out probabilities when the best procedure is reported from
    ``t`` upwards although nothing cleared the reporting threshold (below ``t``: ``other``, abstaining).
    Prints the curve and returns the ``t`` with the best top-1 whose ``other`` precision is at least the
    0.5 rule's: the abstention line is chosen on held-out batches, never per message."""
    other = classifier.intent_ids.index("other")
    gold = [r["intents"][0] for r in rows]
    results: list[tuple[float, float, float]] = []
    for t in (0.5, 0.45, 0.4, 0.35, 0.3, 0.25, 0.2, 0.15):
        hits = said_other = right_other = 0
        for p, g in zip(probs, gold, strict=True):
            order = np.argsort(-p, kind="stable")
            top = int(order[0])
            answer = p[top] >= 0.5 or (top != other and p[top] >= t)
            guess = classifier.intent_ids[top] if answer else "other"
            hits += guess == g
            if guess == "other":
                said_other += 1
                right_other += g == "other"
        results.append((t, hits / len(gold), right_other / max(said_other, 1)))
    if show:
        curve = [tuple(round(x, 3) for x in r) for r in results]
        print("abstention line sweep on held-out batches (t, top-1, other precision):", curve)
    base_precision = results[0][2]
    best = max((r for r in results if r[2] >= base_precision - 1e-9), key=lambda r: (r[1], r[0]))
    return best[0]


def sweep_secondary(
    classifier: Classifier, rows: Sequence[dict[str, Any]], probs: Sequence[np.ndarray], primary: float
) -> None:
    """Micro-F1 of the intent sets on held-out probabilities when a second or third intent is reported
    from ``t`` up (the primary as :meth:`Classifier.decide` picks it). Printed as a curve."""
    other = classifier.intent_ids.index("other")
    curve = []
    for t in (0.6, 0.5, 0.45, 0.4, 0.35, 0.3, 0.25):
        tp = fp = fn = 0
        for p, r in zip(probs, rows, strict=True):
            order = [int(i) for i in np.argsort(-p, kind="stable")]
            top = order[0]
            if p[top] >= 0.5 or (top != other and p[top] >= primary):
                chosen = (
                    {top} if top == other else {top} | {i for i in order[1:3] if i != other and p[i] >= t}
                )
            else:
                chosen = {other}
            gold = {classifier.intent_ids.index(i) for i in r["intents"]}
            tp += len(chosen & gold)
            fp += len(chosen - gold)
            fn += len(gold - chosen)
        curve.append((t, round(2 * tp / max(2 * tp + fp + fn, 1), 3)))
    print("second-intent line sweep on held-out batches (t, micro-F1):", curve)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write-model", action="store_true", help="store the model fitted on every batch")
    parser.add_argument("--json", action="store_true", help="print the side-by-side scores as JSON")
    parser.add_argument(
        "--kind-folds", type=int, default=4, help="groups for the kind batches (0: each alone, slower)"
    )
    parser.add_argument("--jobs", type=int, default=2, help="folds fitted in parallel (processes)")
    parser.add_argument(
        "--dump", type=Path, help="write every held-out case (gold and predicted) as JSON lines"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    understander = Understander.load()
    classifier = understander.classifier
    rows = corpus_rows()
    batches = sorted({r["batch"] for r in rows})
    prep = [prepared(classifier, r) for r in rows]
    knowledge = knowledge_rows(classifier)
    truth = [np.asarray([1.0 if i in r["intents"] else 0.0 for i in classifier.intent_ids]) for r in rows]
    folds = folds_of(batches, args.kind_folds)

    # Out-of-batch evidence: each batch's features come from a linear model that never saw that batch.
    _FOLD_STATE.update(prep=prep, rows=rows, classifier=classifier, knowledge=knowledge)
    fold_models: list[tuple[list[str], linear.LinearModel]] = []
    if args.jobs > 1:
        context = multiprocessing.get_context("fork")  # the workers share the loaded rows, nothing to pickle
        with context.Pool(args.jobs) as pool:
            for held, model in pool.imap_unordered(_fit_without, folds):
                fold_models.append((held, model))
                print(
                    f"fitted without {', '.join(held)} ({time.perf_counter() - started:.0f} s)",
                    file=sys.stderr,
                )
    else:
        fold_models = [_fit_without(held) for held in folds]
    features: list[np.ndarray] = [np.zeros(0)] * len(rows)
    for held, model in fold_models:
        classifier.linear = model
        for n, (p, r) in enumerate(zip(prep, rows, strict=True)):
            if r["batch"] in held:
                features[n] = classifier.features(p.body, subject=p.subject, form_category=p.category)

    cross_cases: list[Case] = []
    writer_cases: list[Case] = []
    held_probs: list[np.ndarray] = [np.zeros(0)] * len(rows)
    per_batch: dict[str, float] = {}
    calibrations: list[Calibration] = []
    for held, model in fold_models:
        keep = [n for n, r in enumerate(rows) if r["batch"] not in held]
        classifier.linear = model
        classifier.calibration = fit_calibration(
            [features[n] for n in keep],
            [truth[n] for n in keep],
            f"corpus without {', '.join(held)}",
        )
        calibrations.append(classifier.calibration)
        for n, r in enumerate(rows):
            if r["batch"] in held:
                held_probs[n] = classifier.probabilities(features[n])
    primary_threshold = sweep_primary(classifier, rows, held_probs, show=True)
    sweep_secondary(classifier, rows, held_probs, primary_threshold)
    for (held, model), calibration in zip(fold_models, calibrations, strict=True):
        # the abstention line for a held-out batch is chosen on the other batches' held-out evidence only
        others = [n for n, r in enumerate(rows) if r["batch"] not in held]
        floor = sweep_primary(classifier, [rows[n] for n in others], [held_probs[n] for n in others])
        classifier.linear = model
        classifier.calibration = dataclasses.replace(calibration, primary_threshold=floor)
        for batch in held:
            cases = run_cases(understander, [r for r in rows if r["batch"] == batch])
            per_batch[batch] = evaluate(cases).top1
            cross_cases += cases
            if batch.startswith(WRITER_PREFIX):
                writer_cases += cases
    cross = evaluate(cross_cases)
    per_batch = dict(sorted(per_batch.items()))
    if args.dump:
        with args.dump.open("w", encoding="utf-8") as out:
            for case in cross_cases:
                out.write(json.dumps(dataclasses.asdict(case), ensure_ascii=False) + "\n")

    final = fit_linear(classifier, prep, knowledge)
    calibration = dataclasses.replace(
        fit_calibration(
            features,
            truth,
            f"tests/intents/corpus ({len(rows)} messages, out-of-batch)",
        ),
        primary_threshold=primary_threshold,
    )
    classifier.linear = final
    classifier.calibration = calibration
    if args.write_model:
        final.save(ROOT / "faq" / linear.MODEL_FILE)
        cancellations = [
            (p.body, r) for p, r in zip(prep, rows, strict=True) if "cancellation" in r["intents"]
        ]
        fit_reason_model(
            [body for body, _ in cancellations],
            [r["entities"].get("cancel_reason") for _, r in cancellations],
        ).save(REASON_MODEL_FILE)
        (ROOT / "faq" / "calibration.toml").write_text(calibration.dump(), encoding="utf-8")
        print("wrote faq/linear_model.npz, faq/calibration.toml and faq/reason_model.npz", file=sys.stderr)

    table = {
        "dev set": scores(evaluate(run_cases(understander, read_rows(DEV)))) if DEV.exists() else {},
        "heldout.jsonl": scores(evaluate(run_cases(understander, read_rows(HELDOUT)))),
        "unseen_writers.jsonl": scores(evaluate(run_cases(understander, read_rows(UNSEEN)))),
        "own corpus (in-sample)": scores(evaluate(run_cases(understander, rows))),
        "cross-style (batch held out)": scores(cross),
        "  of which writers (w_*)": scores(evaluate(writer_cases)) if writer_cases else {},
    }
    if args.json:
        print(json.dumps({"scores": table, "cross_style_top1_by_batch": per_batch}, indent=1))
        return
    columns = sorted(
        {k for v in table.values() for k in v}, key=lambda k: (k.startswith("ent:"), k != "n", k)
    )
    print(f"{'':30}" + "".join(f"{c[:11]:>12}" for c in columns))
    for name, values in table.items():
        cells = "".join(
            f"{values[c]:>12.0f}" if c == "n" and c in values else f"{values.get(c, float('nan')):>12.3f}"
            for c in columns
        )
        print(f"{name:30}{cells}")
    print("\ncross-style top-1 by held-out batch:")
    for batch, value in per_batch.items():
        print(f"  {batch:28} {value:.3f}")
    print("\ncross-style per language:", {k: round(v.top1, 3) for k, v in cross.per_language.items()})
    print("cross-style other reasons (gold -> predicted):", {k: dict(v) for k, v in cross.reasons.items()})
    print("cross-style confusions:", cross.confusions[:12])
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
