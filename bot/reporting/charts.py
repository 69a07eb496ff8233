"""The report's charts (category trend and first-response times) as one PNG, drawn with matplotlib.

Japanese labels need a font with Japanese glyphs: the IPAex Gothic font bundled by the PyPI package
``matplotlib-fontja`` is used (located without importing the package, whose import changes global rc
settings), else Debian's fonts-ipaexfont-gothic or fonts-noto-cjk. Figures are built with the object API
(``Figure`` + Agg canvas), never pyplot, so rendering is safe off the event loop in a worker thread.
"""

from __future__ import annotations

import importlib.util
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.reporting.labels import intent_label
from bot.reporting.tables import bucket_label
from desk.errors import MadoguchiError
from store.reports import ALL, Report

_DEBIAN_FONTS = (
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


class NoJapaneseFont(MadoguchiError):
    """No font with Japanese glyphs is installed, so chart labels would render as boxes."""


def _candidate_fonts() -> list[Path]:
    found: list[Path] = []
    spec = importlib.util.find_spec("matplotlib_fontja")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            found.append(Path(location) / "fonts" / "ipaexg.ttf")
    found += [Path(p) for p in _DEBIAN_FONTS]
    return [p for p in found if p.is_file()]


@lru_cache(maxsize=1)
def japanese_font() -> str:
    """Register the first available Japanese font with matplotlib and return its family name."""
    for path in _candidate_fonts():
        font_manager.fontManager.addfont(str(path))
        return font_manager.FontProperties(fname=str(path)).get_name()
    raise NoJapaneseFont(
        "グラフ用の日本語フォントが見つかりません。matplotlib-fontja（pip）または "
        "fonts-ipaexfont-gothic / fonts-noto-cjk（apt）をインストールしてください。"
    )


@dataclass(frozen=True)
class ChartData:
    """What was drawn (for tests and alt text) and the PNG itself."""

    buckets: list[str]
    trend: dict[str, list[int]]  # series label -> count per bucket
    response: dict[str, tuple[float, float]]  # intent label -> (median, p90) first response, business hours
    png: bytes


def _trend(report: Report, top: int) -> tuple[list[str], dict[str, list[int]]]:
    buckets = report.volumes.buckets
    totals: dict[str, int] = {}
    for row in report.volumes.by_intent:
        totals[row.key] = totals.get(row.key, 0) + row.count
    keys = [k for k, n in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])) if n][:top]
    counts = {(r.bucket, r.key): r.count for r in report.volumes.by_intent}
    series = {intent_label(k): [counts.get((b, k), 0) for b in buckets] for k in keys}
    series["全体"] = [t.count for t in report.volumes.totals]
    return [bucket_label(b, report.range.by) for b in buckets], series


def _response(report: Report) -> dict[str, tuple[float, float]]:
    out = {}
    for t in report.response_times:
        if t.intent != ALL and t.first_response_median is not None and t.first_response_p90 is not None:
            out[intent_label(t.intent)] = (t.first_response_median, t.first_response_p90)
    return out


def render_chart(report: Report, *, top: int = 6) -> ChartData:
    """Two panels: inquiries per bucket for the ``top`` intents and in total; first-response median and
    p90 per intent with the SLA target as a line."""
    family = japanese_font()
    labels, series = _trend(report, top)
    response = _response(report)
    fig = Figure(figsize=(10, 9), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax1, ax2 = fig.subplots(2, 1, height_ratios=[1, 1])
    for name, values in series.items():
        style = {"linewidth": 3, "color": "black"} if name == "全体" else {"marker": "o"}
        ax1.plot(labels, values, label=name, **style)
    ax1.set_title("問い合わせ件数の推移（意図別）", fontfamily=family)
    ax1.set_ylabel("件数", fontfamily=family)
    ax1.legend(prop={"family": family, "size": 8}, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax1.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax1.tick_params(axis="x", labelrotation=30)
    names = list(response)
    positions = list(range(len(names)))
    ax2.barh([p + 0.2 for p in positions], [response[n][0] for n in names], height=0.4, label="中央値")
    ax2.barh([p - 0.2 for p in positions], [response[n][1] for n in names], height=0.4, label="p90")
    ax2.axvline(
        report.sla_target_hours, color="red", linestyle="--", label=f"目標 {report.sla_target_hours:g}時間"
    )
    ax2.set_yticks(positions, names, fontfamily=family)
    ax2.set_title("初回応答までの時間（営業時間）", fontfamily=family)
    ax2.set_xlabel("営業時間", fontfamily=family)
    ax2.legend(prop={"family": family, "size": 8}, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    for text in [*ax1.get_xticklabels(), *ax2.get_xticklabels(), *ax1.get_yticklabels()]:
        text.set_fontfamily(family)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return ChartData(labels, series, response, buffer.getvalue())


def write_chart(report: Report, path: Path) -> ChartData:
    data = render_chart(report)
    path.write_bytes(data.png)
    return data
