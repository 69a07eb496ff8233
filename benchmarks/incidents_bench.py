"""Outage incidents: what grouping adds to each outage message, and how long one approval takes for N copies.

    .venv/bin/python benchmarks/incidents_bench.py [--customers 200] [--database-url URL]

Seeds N customers in the Tokyo area (one contact, one contract each) in a fresh SQLite file (or the given
database, which must be empty), feeds one outage email per customer through the real
pipeline, 20 seconds apart (one incident), then approves the incident once. Prints the pipeline's outage
messages per second with p50 / p99, the same for the first message (nothing to group yet), and the time to
render, check and queue all N copies. Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session, select

from desk import incidents
from desk.pipeline import Pipeline
from intents.understand import Understander
from store.db import make_engine, migrate, session_scope
from store.models import ContactEmail, Contract, Customer, Incident, Outbox
from tests.desk.incident_cases import outage_mail
from tests.desk.resolvers.cases import DESK


def seed(engine: object, n: int) -> list[str]:
    emails = []
    with session_scope(engine) as session:  # type: ignore[arg-type]
        for i in range(n):
            customer = Customer(
                customer_no=f"{40000000 + i}", name=f"ベンチ工業{i}株式会社", contact_person=f"担当{i}"
            )
            session.add(customer)
            session.flush()
            email = f"bench{i}@example.jp"
            emails.append(email)
            session.add(ContactEmail(customer_id=customer.id or 0, email=email))
            session.add(
                Contract(
                    contract_no=f"EG{50000000 + i}",
                    supply_point_id=f"03{i:020d}",
                    customer_id=customer.id or 0,
                    facility_name=f"第{i}工場",
                    grid_area="03",
                    contract_power_kw=Decimal("300"),
                    basic_unit_price=Decimal("1650.00"),
                    energy_unit_price=Decimal("15.20"),
                    supply_start=dt.date(2024, 4, 1),
                    applied_on=dt.date(2024, 4, 1),
                    metering_day=1,
                )
            )
    return emails


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/incidents_bench.db"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    engine = make_engine(url)
    migrate(engine)
    emails = seed(engine, args.customers)
    # Wide enough for every report: all N go into one incident.
    rules = incidents.IncidentRules(window=dt.timedelta(hours=24), min_customers=2)
    pipeline = Pipeline(engine=engine, desk=DESK, understander=Understander.load(), incident_rules=rules)
    asyncio.run(pipeline.process(outage_mail("warmup@example.jp", minutes=-600)))
    times = []
    for i, email in enumerate(emails):
        start = time.perf_counter()
        pipeline.process_sync(outage_mail(email, minutes=i / 3))
        times.append(time.perf_counter() - start)
    with Session(engine) as session:
        [incident] = session.exec(select(Incident)).all()
    start = time.perf_counter()
    with session_scope(engine) as session:
        result = incidents.approve_incident(
            session,
            incident_id=incident.id or 0,
            actor="bench",
            text="停電が発生しております。",
            make_copy=pipeline.incident_copy,
            digest_now=pipeline.digest_now,
        )
    approve_s = time.perf_counter() - start
    with Session(engine) as session:
        queued = len(session.exec(select(Outbox)).all())
    q = statistics.quantiles([t * 1000 for t in times[1:]], n=100)
    print(f"backend: {engine.dialect.name}, customers: {args.customers}")
    print(f"outage message, first of the area: {times[0] * 1000:.1f} ms")
    print(
        f"outage messages with grouping: {len(times) / sum(times):.0f} msg/s, p50 {q[49]:.1f} ms, p99 {q[98]:.1f} ms"
    )
    print(
        f"one approval, {len(result.queued)} copies queued ({queued} outbox rows): {approve_s:.2f} s,"
        f" {approve_s / max(1, len(result.queued)) * 1000:.1f} ms per copy"
    )


if __name__ == "__main__":
    main()
