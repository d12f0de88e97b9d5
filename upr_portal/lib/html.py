"""User-written rich text, made safe to store and to show: `sanitise_html`.

Anything a user writes as HTML (an organisation's public profile now; comments and
assessments later) goes through `sanitise_html` when it is saved and again when it is
shown (`{% load sanitise %}{{ text|sanitise }}`), so a row written before a rule tightened,
or by a path that skipped the form, is still safe. nh3 parses the HTML like a browser and
keeps only the tags and attributes below; everything else (scripts, styles, event
handlers, images, forms) is dropped. See docs/security.md.
"""

from __future__ import annotations

import nh3

ALLOWED_TAGS = frozenset({"p", "br", "strong", "em", "ul", "ol", "li", "a", "blockquote", "h3", "h4"})
ALLOWED_ATTRIBUTES = {"a": {"href"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Links open no window that could reach back (noopener), send no referrer, and earn the
# linked site nothing from search engines (nofollow: the text is user-written).
LINK_REL = "noopener noreferrer nofollow"


def sanitise_html(text: str | None) -> str:
    """`text` with only the allowed tags and attributes kept (plus nh3's generic `lang` and
    `title`, harmless and useful for text in other languages); links only to http(s)/mailto
    addresses (relative ones are dropped too), each with rel="noopener noreferrer nofollow"."""
    if not text:
        return ""
    return nh3.clean(
        text,
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        url_relative="deny",
        link_rel=LINK_REL,
        strip_comments=True,
    )
