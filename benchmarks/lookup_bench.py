"""Seed time and lookup latency of the contract store at 100,000 contracts.

    .venv/bin/python benchmarks/lookup_bench.py                       # SQLite in a temp file
    .venv/bin/python benchmarks/lookup_bench.py --pg postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python benchmarks/lookup_bench.py --db /tmp/bench.db --only name_exact,name_typo

``--db`` keeps the SQLite store in that file and reuses it when it already exists (seeding 100,000
contracts takes about two minutes); ``--only`` runs just the listed lookup kinds.

Seeds ``--contracts`` contracts (24 months of usage each by default) with ``store.seed``, then runs every
lookup kind ``--iterations`` times with random keys — existing and missing in turn — and prints the p50 and
p99 latency in milliseconds. Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
import timeit
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from store import lookup
from store.db import make_engine, migrate
from store.models import ContactEmail, Contract, Customer
from store.seed import seed_store

TODAY = dt.date(2025, 6, 10)


def _keys(engine: Engine, sample: int, rng: random.Random) -> dict[str, list[Any]]:
    with Session(engine) as s:
        customers = s.exec(select(Customer.id, Customer.customer_no, Customer.name, Customer.phone)).all()
        contracts = s.exec(select(Contract.id, Contract.contract_no, Contract.supply_point_id)).all()
        emails = s.exec(select(ContactEmail.email)).all()
    cs = rng.sample(list(customers), min(sample, len(customers)))
    ks = rng.sample(list(contracts), min(sample, len(contracts)))
    return {
        "customer_id": [c[0] for c in cs],
        "customer_no": [c[1] for c in cs],
        "name": [c[2] for c in cs],
        "phone": [c[3] for c in cs],
        "contract_id": [k[0] for k in ks],
        "contract_no": [k[1] for k in ks],
        "supply_point_id": [k[2] for k in ks],
        "email": rng.sample(list(emails), min(sample, len(emails))),
    }


def _typo(name: str, rng: random.Random) -> str:
    key = lookup.name_key(name)
    if len(key) < 3:
        return name
    i = rng.randrange(1, len(key))
    return key[:i] + "工" + key[i + 1 :]


def _cases(keys: dict[str, list[Any]], rng: random.Random) -> dict[str, Callable[[Session, int], Any]]:
    def pick(kind: str, i: int) -> Any:
        return keys[kind][i % len(keys[kind])]

    def missing(i: int) -> bool:
        return i % 2 == 1

    return {
        "customer_no": lambda s, i: lookup.find_customer(
            session=s, customer_no=f"2{i:07d}" if missing(i) else pick("customer_no", i)
        ),
        "contract_no": lambda s, i: lookup.find_contract(
            session=s, contract_no=f"EG0{i:07d}" if missing(i) else pick("contract_no", i)
        ),
        "supply_point": lambda s, i: lookup.find_contract_by_supply_point(
            session=s, supply_point_id=f"03{i:020d}" if missing(i) else pick("supply_point_id", i)
        ),
        "email": lambda s, i: lookup.find_customer_by_email(
            session=s, email=f"nobody{i}@missing.example.jp" if missing(i) else pick("email", i).upper()
        ),
        "phone": lambda s, i: lookup.find_customers_by_phone(
            session=s, phone=f"09{i:08d}" if missing(i) else pick("phone", i)
        ),
        "name_exact": lambda s, i: lookup.search_customers_by_name(session=s, name="㈱" + pick("name", i)),
        "name_typo": lambda s, i: lookup.search_customers_by_name(
            session=s, name=_typo(pick("name", i), rng)
        ),
        "contracts_of": lambda s, i: lookup.contracts_of(session=s, customer_id=pick("customer_id", i)),
        "usage_of": lambda s, i: lookup.usage_of(session=s, contract_id=pick("contract_id", i)),
        "invoices_of": lambda s, i: lookup.invoices_of(session=s, contract_id=pick("contract_id", i)),
        "customer_view": lambda s, i: lookup.load_customer_view(
            session=s, customer_id=pick("customer_id", i)
        ),
    }


def _measure(
    engine: Engine, iterations: int, seed: int, only: set[str] | None = None
) -> dict[str, tuple[float, float]]:
    rng = random.Random(seed)
    keys = _keys(engine, 5000, rng)
    results: dict[str, tuple[float, float]] = {}
    with Session(engine) as session:
        for kind, run in _cases(keys, rng).items():
            if only and kind not in only:
                continue
            for i in range(50):  # warm the page cache and the statement caches
                run(session, i)
            timings = []
            for i in range(iterations):
                started = time.perf_counter_ns()
                run(session, i)
                timings.append((time.perf_counter_ns() - started) / 1e6)
                session.expunge_all()  # every call pays for loading its rows, as in the pipeline
            quantiles = statistics.quantiles(timings, n=100)
            results[kind] = (quantiles[49], quantiles[98])
    return results


def _run(label: str, engine: Engine, args: argparse.Namespace, *, seed: bool = True) -> None:
    if seed:
        migrate(engine)
        started = time.process_time()
        result = seed_store(
            engine, customers=0, contracts=args.contracts, seed=args.seed, today=TODAY, months=args.months
        )
        cpu = time.process_time() - started
        print(
            f"\n[{label}] seeded {result.contracts:,} contracts / {result.customers:,} customers / "
            f"{result.usage_rows:,} usage rows / {result.invoices:,} invoices in {result.seconds:.1f} s "
            f"(CPU {cpu:.1f} s)"
        )
    else:
        print(f"\n[{label}] reusing the seeded store {args.db}")
    only = set(args.only.split(",")) if args.only else None
    print(f"{'lookup':<16}{'p50 ms':>10}{'p99 ms':>10}")
    for kind, (p50, p99) in _measure(engine, args.iterations, args.seed, only).items():
        print(f"{kind:<16}{p50:>10.3f}{p99:>10.3f}")


def _calibration() -> float:
    """Microseconds for ``sum(range(1000))``: about 8 on an idle modern core; compare runs with it."""
    best = min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000
    return best * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contracts", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg", metavar="URL", help="also run on this PostgreSQL database (in a temp schema)")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--db", type=Path, help="SQLite file to keep the store in, reused when it exists")
    parser.add_argument("--only", help="comma-separated lookup kinds to run (default: all)")
    args = parser.parse_args(argv)
    print(f"calibration: sum(range(1000)) takes {_calibration():.1f} µs on this machine now")
    if args.db and not args.no_sqlite:
        reuse = args.db.exists()
        engine = make_engine(f"sqlite:///{args.db}")
        try:
            _run("sqlite", engine, args, seed=not reuse)
        finally:
            engine.dispose()
    elif not args.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
            try:
                _run("sqlite", engine, args)
            finally:
                engine.dispose()
    if args.pg:
        url = args.pg.replace("postgresql://", "postgresql+psycopg://", 1)
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = make_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = make_engine(url, schema=schema)
        try:
            _run("postgresql", engine, args)
        finally:
            engine.dispose()
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
