"""Terminal (rich), CSV and JSON output of the report sections."""

from __future__ import annotations

import csv
import io
import json

from rich.console import Console
from rich.table import Table

from bot.reporting.tables import Section, report_data, sections
from store.reports import Report


def print_tables(report: Report, console: Console) -> None:
    for section in sections(report):
        table = Table(title=section.title, title_justify="left", show_lines=False)
        for i, column in enumerate(section.columns):
            table.add_column(column, justify="right" if _numeric(section, i) else "left")
        for row in section.rows:
            table.add_row(*row)
        if not section.rows:
            table.add_row("（該当なし）", *[""] * (len(section.columns) - 1))
        console.print(table)
        console.print()


def _numeric(section: Section, index: int) -> bool:
    values = [row[index] for row in section.rows]
    return bool(values) and all(v[:1].isdigit() or v[:1] in "+-—" for v in values)


def to_csv(report: Report) -> str:
    """All sections in one CSV: a title line, the header, the rows, and a blank line between sections
    (spreadsheets open it as one sheet). Written with a BOM so Excel reads the Japanese as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for section in sections(report):
        writer.writerow([f"# {section.title}"])
        writer.writerow(section.columns)
        writer.writerows(section.rows)
        writer.writerow([])
    return "\ufeff" + buffer.getvalue()


def to_json(report: Report) -> str:
    return json.dumps(report_data(report), ensure_ascii=False, indent=2)


def section_map(report: Report) -> dict[str, Section]:
    return {s.key: s for s in sections(report)}
