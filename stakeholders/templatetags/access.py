"""`{% can user "app.rule" obj as allowed %}`: the access rules in templates.

Use this, never `{% has_perm %}` from rules' own tags or `perms`: those go through
`user.has_perm`, which answers True for any superuser.
"""

from __future__ import annotations

from django import template

from stakeholders.permissions import can as can_rule

register = template.Library()


@register.simple_tag
def can(user, rule: str, obj=None) -> bool:
    return can_rule(user, rule, obj)
