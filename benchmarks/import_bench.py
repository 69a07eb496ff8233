"""CSV import speed at 100,000 contracts (and their 100,000 customers).

    .venv/bin/python benchmarks/import_bench.py                     # SQLite in a temp file
    .venv/bin/python benchmarks/import_bench.py --pg postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python benchmarks/import_bench.py --contracts 10000   # a quicker look

Writes a customers CSV and a contracts CSV (UTF-8), imports both with ``store.importer.import_csv`` (what
``madoguchi import`` runs), prints seconds and rows/s for each, then imports the contracts file again (every
row unchanged: the cost of an idempotent re-run). Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
import time
import timeit
import uuid
from pathlib import Path

from sqlalchemy import text

from store.db import make_engine, migrate
from store.importer import LAYOUTS, import_csv


def write_files(folder: Path, n: int, seed: int = 7) -> tuple[Path, Path]:
    rng = random.Random(seed)
    customers = folder / "customers.csv"
    contracts = folder / "contracts.csv"
    with customers.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(LAYOUTS["customers"].headers)
        for i in range(n):
            no = f"{30000000 + i}"
            writer.writerow(
                [
                    no,
                    f"株式会社テスト{i:06d}製作所",
                    f"テスト{i}",
                    f"03-{1000 + i % 9000}-{rng.randint(1000, 9999)}",
                    "100-0001",
                    f"東京都千代田区{i % 50}-{i % 7}",
                    "",
                    "",
                    "担当 太郎",
                ]
            )
    with contracts.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(LAYOUTS["contracts"].headers)
        for i in range(n):
            area = f"{1 + i % 10:02d}"
            power = rng.randint(50, 1900)
            writer.writerow(
                [
                    f"EG{20000000 + i}",
                    f"{30000000 + i}",
                    f"{area}{i:020d}",
                    f"第{i}工場",
                    "東京都千代田区",
                    "high" if power < 2000 else "extra_high",
                    "kyogi" if power >= 500 else "jitsuryo",
                    power,
                    "1650.00",
                    "16.80",
                    "",
                    100,
                    "full",
                    "2019-04-01",
                    "2024-04-01",
                    "",
                    1 + i % 28,
                    "debit",
                    "",
                    "",
                    "",
                    "active",
                ]
            )
    return customers, contracts


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--contracts", type=int, default=100_000)
    parser.add_argument("--pg", default="", help="PostgreSQL URL (a throw-away schema is used)")
    args = parser.parse_args()
    calib = min(timeit.repeat("sum(range(1000))", number=1000, repeat=5)) / 1000 * 1e6
    print(f"machine calibration: sum(range(1000)) = {calib:.1f} µs")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        schema = None
        if args.pg:
            url = args.pg.replace("postgresql://", "postgresql+psycopg://", 1)
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            admin = make_engine(url)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        else:
            url = f"sqlite:///{folder / 'bench.db'}"
        engine = make_engine(url, schema=schema)
        try:
            migrate(engine)
            started = time.perf_counter()
            customers, contracts = write_files(folder, args.contracts)
            print(
                f"wrote {args.contracts:,} customers + contracts as CSV in {time.perf_counter() - started:.1f} s"
            )
            for label, table, path in (
                ("customers", "customers", customers),
                ("contracts", "contracts", contracts),
                ("contracts again (unchanged)", "contracts", contracts),
            ):
                result = import_csv(engine, table, path)
                assert not result.errors, result.errors[:3]
                rate = result.rows / result.seconds
                print(
                    f"{label:30s} {result.rows:>8,} rows  {result.seconds:6.1f} s  {rate:>8,.0f} rows/s"
                    f"  (new {result.inserted:,}, updated {result.updated:,}, unchanged {result.unchanged:,})"
                )
        finally:
            engine.dispose()
            if schema:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
