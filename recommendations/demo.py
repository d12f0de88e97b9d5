"""Demo responsibilities: the demo ministries answer for the demo country's recommendations.

Run by `load_demo_data` after `seed_demo` has created the demo organisations, so that the
focal points of the demo personas find recommendations assigned to their institution.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from recommendations.models import Recommendation, ResponsibilityRole
from recommendations.services import responsibilities_bulk_assign
from stakeholders import demo
from stakeholders.models import Organisation

# (ministry slug, role, theme-name pattern): themes by their UPR Info and OHCHR names.
ASSIGNMENTS = (
    ("ministry-of-justice", ResponsibilityRole.LEAD, r"justice|torture|detention|death penalty|impunity|trafficking"),
    ("ministry-of-health", ResponsibilityRole.LEAD, r"health|hiv"),
    ("ministry-of-health", ResponsibilityRole.SUPPORTING, r"women|child"),
    ("ministry-of-justice", ResponsibilityRole.SUPPORTING, r"women"),
)


def assign_demo_responsibilities() -> list[str]:
    """Assign (idempotently); one line per assignment, or why nothing was assigned."""
    secretariat = get_user_model()._default_manager.filter(email=f"secretariat@{demo.EMAIL_DOMAIN}").first()
    ministries = Organisation.objects.in_bulk([slug for slug, _role, _themes in ASSIGNMENTS], field_name="slug")
    if secretariat is None or len(ministries) < 2:
        return ["Demo responsibilities skipped: run `manage.py seed_demo` first."]
    lines = []
    for slug, role, themes in ASSIGNMENTS:
        recommendations = Recommendation.objects.filter(
            review__state__iso3=demo.DEMO_COUNTRY, themes__name__iregex=themes
        )
        outcome = responsibilities_bulk_assign(
            recommendations=recommendations, organisation=ministries[slug], role=role, by=secretariat
        )
        lines.append(f"{ministries[slug].name} ({role}): {outcome.assigned} assigned, {outcome.unchanged} already.")
    return lines
