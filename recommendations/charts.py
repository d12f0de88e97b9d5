"""Server-side SVG charts for the public pages, drawn with matplotlib.

Charts are rendered on the server so that they need no JavaScript and look the same in
every browser; text is drawn as paths (`svg.fonttype = "path"`), shaped by matplotlib's
text layout, so Arabic labels join and run right to left without depending on the
visitor's fonts. The SVG is embedded in the page, rewritten so that a strict CSP holds
(no `<style>` element, no `style` attributes) and its ids cannot collide with another
chart's. Each chart is cached per (chart, State, language, data version) for ten minutes.
"""

from __future__ import annotations

import html
import io
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from django.core.cache import cache as django_cache
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from recommendations.models import ThemeVocabulary
from recommendations.stats import Cube, Matrix

CACHE_SECONDS = 10 * 60
# Bump when the drawing code changes, so cached SVG from the previous code is not served.
CHART_CODE_VERSION = 2

# Okabe–Ito colours: told apart with the common colour-vision deficiencies. The same
# colours are the `.swatch-*` classes in static/css/portal.css (a test keeps them equal).
SERIES_COLOURS = {
    "swatch-status-not-reported": "#767676",
    "swatch-status-not-started": "#d55e00",
    "swatch-status-in-progress": "#e69f00",
    "swatch-status-partially-implemented": "#56b4e9",
    "swatch-status-fully-implemented": "#009e73",
    "swatch-status-no-longer-applicable": "#cc79a7",
    "swatch-position-supported": "#0072b2",
    "swatch-position-supported-in-part": "#56b4e9",
    "swatch-position-noted": "#d55e00",
    "swatch-position-pending": "#e69f00",
    "swatch-position-voluntary-pledge": "#009e73",
    "swatch-position-none": "#767676",
}

# Installed by the project's system packages (DejaVu: Latin, Cyrillic, Arabic; Noto Sans
# Arabic as a fallback). Chinese labels need a CJK font: see docs/setup.md.
FONT_FAMILIES = ["DejaVu Sans", "Noto Sans Arabic"]


@dataclass(frozen=True)
class Chart:
    """A chart as the template shows it: caption, SVG and the data table's matrix."""

    slug: str
    caption: str
    row_header: str  # of the table's first column
    table: Matrix  # the chart's numbers, laid out for the table
    svg: SafeString
    row_lang: str = ""  # theme names are English data, whatever the page's language


@cache
def _matplotlib() -> type:
    # Imported on first use only: matplotlib costs ~0.3 s and memory that pages without
    # charts (and the Celery worker) should not pay.
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update(
        {
            "svg.fonttype": "path",
            "svg.hashsalt": "upr-portal",  # stable ids, so equal data gives equal SVG
            "font.family": FONT_FAMILIES,
            "font.size": 10,
            "text.parse_math": False,  # labels are data: a "$" in a theme name is not TeX
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    from matplotlib.figure import Figure

    return Figure


def stacked_bar_svg(matrix: Matrix, *, label: str, slug: str, horizontal: bool) -> str:
    """A stacked bar chart of `matrix` (one bar per row, one segment per series) as
    inline SVG with `role="img"` and `label` as its accessible name."""
    figure_class = _matplotlib()
    height = 1.6 + 0.42 * len(matrix.rows) if horizontal else 3.6
    figure = figure_class(figsize=(7.5 if horizontal else 6.5, height), layout="constrained")
    axes = figure.add_subplot()
    width = 52 if horizontal else 14
    names = [textwrap.shorten(row.label, 90) for row in matrix.rows]
    names = ["\n".join(textwrap.wrap(name, width)) or name for name in names]
    positions = list(range(len(names)))
    base = [0] * len(names)
    for index, series in enumerate(matrix.series):
        values = [row.values[index] for row in matrix.rows]
        style = {"color": SERIES_COLOURS.get(series.css_class, "#767676"), "edgecolor": "white", "linewidth": 0.6}
        if horizontal:
            axes.barh(positions, values, left=base, label=series.label, height=0.7, **style)
        else:
            axes.bar(positions, values, bottom=base, label=series.label, width=0.6, **style)
        base = [low + value for low, value in zip(base, values, strict=True)]
    _label_axes(axes, names, horizontal=horizontal)
    # Wrapped legend entries in as many columns as the width holds: long translated
    # labels ("Partiellement mise en œuvre") must not run off the figure.
    handles, labels = axes.get_legend_handles_labels()
    columns = min(3 if horizontal else 2, len(labels))
    labels = ["\n".join(textwrap.wrap(label, 26)) for label in labels]
    figure.legend(handles, labels, loc="outside lower center", ncols=columns, frameon=False)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return svg_for_html(buffer.getvalue(), prefix=slug, label=label)


def _label_axes(axes, names: list[str], *, horizontal: bool) -> None:
    positions = list(range(len(names)))
    axis_label = _("Recommendations")
    if horizontal:
        axes.set_yticks(positions, names)
        axes.invert_yaxis()  # largest first, as in the table
        axes.set_xlabel(axis_label)
        axes.xaxis.get_major_locator().set_params(integer=True)
        axes.grid(axis="x", color="#dddddd", linewidth=0.6)
    else:
        axes.set_xticks(positions, names)
        axes.set_ylabel(axis_label)
        axes.yaxis.get_major_locator().set_params(integer=True)
        axes.grid(axis="y", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)


_PROLOGUE = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)
_DROPPED = re.compile(r"<metadata>.*?</metadata>|<style\b[^>]*>.*?</style>|<!--.*?-->", re.DOTALL)
_STYLE_ATTRIBUTE = re.compile(r'\sstyle="([^"]*)"')
_ID_REFERENCE = re.compile(r'(\bid="|href="#|url\(#)')


def svg_for_html(svg: str, *, prefix: str, label: str) -> str:
    """matplotlib's SVG document, made fit to embed in a page under a strict CSP."""
    svg = _DROPPED.sub("", _PROLOGUE.sub("", svg, count=1))
    svg = _STYLE_ATTRIBUTE.sub(_presentation_attributes, svg)
    svg = _ID_REFERENCE.sub(lambda match: f"{match.group(1)}{prefix}-", svg)
    # What the dropped `<style>` said for every element, as inherited attributes instead.
    root = (
        f'<svg role="img" aria-label="{html.escape(label, quote=True)}" stroke-linejoin="round" stroke-linecap="butt" '
    )
    return svg.replace("<svg ", root, 1)


def _presentation_attributes(match: re.Match) -> str:
    # `style="fill: #fff; stroke: #000"` -> ` fill="#fff" stroke="#000"`: SVG presentation
    # attributes draw the same and, unlike style attributes, are not subject to CSP.
    pairs = (part.split(":", 1) for part in match.group(1).split(";") if ":" in part)
    return "".join(f' {name.strip()}="{value.strip()}"' for name, value in pairs)


def cached_svg(key: str, render: Callable[[], str]) -> SafeString:
    """The SVG under `key` in Django's cache, rendered and stored when missing."""
    svg = django_cache.get(key)
    if svg is None:
        svg = render()
        django_cache.set(key, svg, CACHE_SECONDS)
    # Our own rendering, with every label escaped by matplotlib's SVG writer.
    return mark_safe(svg)  # noqa: S308


def state_charts(*, iso3: str, cube: Cube, themes: dict[str, Matrix]) -> list[Chart]:
    """The State page's charts: recommendations per cycle by implementation status,
    and per theme (UHRI themes, UPR Info issues) by position. Empty ones are left out."""
    cycles = cube.cycle_by_status()
    uhri, upr_info = themes[ThemeVocabulary.UHRI], themes[ThemeVocabulary.UPR_INFO]
    # (slug, caption, table's first column, chart data, table data, horizontal bars)
    specs = [
        # The cycles table has statuses as rows: up to six of them, and few cycles.
        (
            "cycles",
            _("Recommendations per cycle by implementation status"),
            _("Status"),
            cycles,
            cycles.transposed(),
            False,
        ),
        ("uhri-themes", _("Top 10 UN human rights themes (UHRI) by position"), _("Theme"), uhri, uhri, True),
        ("upr-info-issues", _("Top 10 UPR Info issues by position"), _("Issue"), upr_info, upr_info, True),
    ]
    language = get_language() or "en"
    return [
        Chart(
            slug,
            caption,
            row_header,
            table,
            _chart_svg(slug, caption, matrix, horizontal, iso3, language, cube),
            row_lang="en" if horizontal else "",
        )
        for slug, caption, row_header, matrix, table, horizontal in specs
        if matrix.rows
    ]


def _chart_svg(
    slug: str, caption: str, matrix: Matrix, horizontal: bool, iso3: str, language: str, cube: Cube
) -> SafeString:
    key = f"chart:v{CHART_CODE_VERSION}:{slug}:{iso3}:{language}:{cube.version}"
    label = _("%(caption)s (stacked bar chart; the table beside it gives the numbers)") % {"caption": caption}
    return cached_svg(key, lambda: stacked_bar_svg(matrix, label=label, slug=slug, horizontal=horizontal))
