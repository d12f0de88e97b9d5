"""`{{ text|sanitise }}`: user-written rich text as safe HTML (upr_portal.lib.html)."""

from django import template
from django.utils.safestring import SafeString, mark_safe

from upr_portal.lib.html import sanitise_html

register = template.Library()


@register.filter(is_safe=True)
def sanitise(text: str | None) -> SafeString:
    # nh3 kept only the allowlisted tags and attributes, so the result may be output as is.
    return mark_safe(sanitise_html(text))  # noqa: S308
