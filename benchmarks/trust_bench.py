"""What the trust checks cost per message (no test asserts a time; this prints the numbers).

* look-alike domain check (desk.trust.DomainWatch) against N registered domains: build once, then one
  look-up per unproven email sender;
* sender authentication (bot.email.authresults.verdict) on a message with our Authentication-Results;
* the implausible-date scan (intents.dates.implausible_dates) on a typical inquiry text.

    .venv/bin/python benchmarks/trust_bench.py [--domains 100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import email
import random
import statistics
import string
import time
from collections.abc import Callable
from email.message import Message

from bot.email.authresults import verdict
from desk.trust import DomainWatch
from intents.dates import implausible_dates


def timed(fn: Callable[[], object], n: int) -> tuple[float, float]:
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--domains", type=int, default=100_000)
    args = parser.parse_args()
    rng = random.Random(14)
    domains = [
        "".join(rng.choices(string.ascii_lowercase + "-", k=rng.randint(6, 16))).strip("-") + ".co.jp"
        for _ in range(args.domains)
    ]
    t0 = time.perf_counter()
    watch = DomainWatch(domains)
    built = time.perf_counter() - t0
    probes = [rng.choice(domains)[:-6] + "x.co.jp" for _ in range(200)]
    it = iter(probes * 10)
    p50, p99 = timed(lambda: watch.imitated(next(it)), 200)
    print(
        f"look-alike watch over {args.domains:,} domains: build {built:.2f} s; look-up p50 {p50:.2f} ms, p99 {p99:.2f} ms"
    )

    raw = (
        b"Authentication-Results: mx.desk.example.jp; spf=pass smtp.mailfrom=a@example.co.jp;"
        b" dkim=pass header.d=example.co.jp; dmarc=pass header.from=example.co.jp\r\n"
        b"From: a@example.co.jp\r\nSubject: x\r\n\r\nbody\r\n"
    )
    msg: Message = email.message_from_bytes(raw)
    p50, p99 = timed(
        lambda: verdict(msg, authserv_id="mx.desk.example.jp", from_addr="a@example.co.jp"), 2000
    )
    print(f"sender authentication verdict: p50 {p50:.3f} ms, p99 {p99:.3f} ms")

    text = "いつもお世話になっております。契約番号EG30000021を2027年3月31日で解約したいです。来月末までに書類を送ります。"
    p50, p99 = timed(lambda: implausible_dates(text, received=dt.date(2026, 11, 20)), 2000)
    print(f"implausible-date scan: p50 {p50:.3f} ms, p99 {p99:.3f} ms")


if __name__ == "__main__":
    main()
