"""SVG charts: embeddable under a strict CSP, Arabic shaped."""

import re

from recommendations.charts import stacked_bar_svg, svg_for_html
from recommendations.stats import Matrix, MatrixRow, Series

SUPPORTED = Series("supported", "Supported", "swatch-position-supported")


def glyphs(svg: str) -> set[str]:
    return set(re.findall(r'href="#[^"]*?-(DejaVuSans-[0-9a-f]+)"', svg))


def test_arabic_labels_are_drawn_with_joined_letter_forms():
    isolated = glyphs(stacked_bar_svg(Matrix([MatrixRow("ب", [1])], [SUPPORTED]), label="", slug="a", horizontal=True))
    joined = glyphs(stacked_bar_svg(Matrix([MatrixRow("ببب", [1])], [SUPPORTED]), label="", slug="b", horizontal=True))

    # Unshaped text would repeat the isolated letter; shaped text uses the initial,
    # medial and final forms, which are other glyphs of the font.
    assert len(joined - isolated) == 3


def test_svg_is_rewritten_for_a_strict_csp_with_prefixed_ids():
    document = (
        '<?xml version="1.0"?>\n<!DOCTYPE svg>\n<svg width="10pt" height="10pt">'
        "<metadata>m</metadata><defs><style>*{stroke-linejoin: round}</style></defs>"
        '<!-- A & B --><clipPath id="p1"/><path id="g" style="fill: #fff; stroke: #000"/>'
        '<use xlink:href="#g" clip-path="url(#p1)"/></svg>'
    )

    svg = svg_for_html(document, prefix="c", label='Cycles "1 & 2"')

    assert svg == (
        '<svg role="img" aria-label="Cycles &quot;1 &amp; 2&quot;" stroke-linejoin="round" stroke-linecap="butt" '
        'width="10pt" height="10pt"><defs></defs><clipPath id="c-p1"/><path id="c-g" fill="#fff" stroke="#000"/>'
        '<use xlink:href="#c-g" clip-path="url(#c-p1)"/></svg>'
    )
