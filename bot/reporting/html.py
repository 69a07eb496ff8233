"""A self-contained HTML page of the report: inline CSS, the chart as a base64 PNG, no external requests,
so it can be mailed or opened offline."""

from __future__ import annotations

import base64

from jinja2 import Environment, select_autoescape

from bot.reporting.charts import ChartData
from bot.reporting.labels import BY_LABELS
from bot.reporting.tables import sections
from store.reports import Report

_PAGE = """<!DOCTYPE html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body { font-family: "Noto Sans CJK JP", "IPAexGothic", "Hiragino Sans", "Yu Gothic", sans-serif;
       margin: 2rem; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid #ccc; padding: .25rem .6rem; }
th { background: #f3f5f7; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
p.empty { color: #777; }
img { max-width: 100%; }
</style>
</head>
<body>
<h1>{{ title }}</h1>
<p>{{ period }}</p>
{% if chart %}<figure><img id="chart" alt="{{ chart_alt }}"
 src="data:image/png;base64,{{ chart }}"></figure>{% endif %}
{% for s in sections %}
<section>
<h2>{{ s.title }}</h2>
{% if s.rows %}
<table id="{{ s.key }}">
<thead><tr>{% for c in s.columns %}<th>{{ c }}</th>{% endfor %}</tr></thead>
<tbody>
{% for row in s.rows %}<tr>{% for v in row %}
<td{% if numeric(v) %} class="num"{% endif %}>{{ v }}</td>{% endfor %}</tr>
{% endfor %}</tbody>
</table>
{% else %}<p class="empty" id="{{ s.key }}">該当なし</p>{% endif %}
</section>
{% endfor %}
</body>
</html>
"""

_env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))


def _numeric(value: str) -> bool:
    return value[:1].isdigit() or (value[:1] in "+-" and value[1:2].isdigit())


def render_html(report: Report, chart: ChartData | None) -> str:
    """The whole page as one string; ``chart`` (from :func:`bot.reporting.charts.render_chart`) is inlined."""
    rng = report.range
    alt = "、".join(chart.trend) if chart else ""
    return _env.from_string(_PAGE).render(
        title="窓口 問い合わせレポート",
        period=f"{rng.since.isoformat()} ～ {rng.until.isoformat()}（{BY_LABELS[rng.by]}）",
        chart=base64.b64encode(chart.png).decode("ascii") if chart else None,
        chart_alt=f"問い合わせ件数の推移（{alt}）と初回応答までの時間",
        sections=sections(report),
        numeric=_numeric,
    )
