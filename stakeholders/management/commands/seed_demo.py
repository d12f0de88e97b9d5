"""Create the demo organisations and personas (stakeholders/demo.py). Safe to re-run."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from stakeholders import demo
from stakeholders.models import Organisation, State
from stakeholders.services import membership_set_role, user_create


class Command(BaseCommand):
    help = (
        "Create one demo organisation of each kind and the demo personas (<name>@demo.upr-portal.example). "
        "New users get --password, or one generated password printed once; existing users keep theirs "
        "unless --password is given."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--password", help="Set this password on every demo user (new and existing).")

    @transaction.atomic
    def handle(self, *args, password: str | None = None, **options) -> None:
        organisations = seed_organisations()
        new_password = password or secrets.token_urlsafe(12)
        created = []
        for persona in demo.USERS:
            user, is_new = seed_user(persona, new_password=new_password, reset_password=password)
            if is_new:
                created.append(persona.email)
            membership_set_role(user=user, organisation=organisations[persona.organisation], role=persona.role)
        self.stdout.write(
            f"Demo organisations: {len(organisations)}; demo users: {len(demo.USERS)} ({len(created)} new)."
        )
        if password:
            self.stdout.write("Every demo user's password is the one given with --password.")
        elif created:
            self.stdout.write(self.style.WARNING(f"Password of the new demo users (shown only now): {new_password}"))
        else:
            self.stdout.write("Passwords unchanged; set one with: manage.py seed_demo --password PASSWORD")


def seed_organisations() -> dict[str, Organisation]:
    iso3s = {demo.DEMO_COUNTRY} | {spec.represents for spec in demo.ORGANISATIONS if spec.represents}
    states = {state.iso3: state for state in State.objects.filter(iso3__in=iso3s)}
    organisations: dict[str, Organisation] = {}
    for spec in demo.ORGANISATIONS:
        organisation, _ = Organisation.objects.update_or_create(
            slug=spec.slug,
            defaults={
                "name": spec.name,
                "acronym": spec.acronym,
                "kind": spec.kind,
                "country": states.get(demo.DEMO_COUNTRY),
                "represents": states.get(spec.represents),
            },
        )
        organisations[spec.slug] = organisation
    for spec in demo.ORGANISATIONS:
        if spec.members:
            organisations[spec.slug].members.add(*(organisations[slug] for slug in spec.members))
    return organisations


def seed_user(persona: demo.DemoUser, *, new_password: str, reset_password: str | None):
    """The persona's user and whether it is new; an existing one keeps its password unless reset."""
    user = get_user_model()._default_manager.filter(email__iexact=persona.email).first()
    if user is None:
        user = user_create(
            email=persona.email, first_name=persona.first_name, last_name=persona.last_name, password=new_password
        )
        return user, True
    if reset_password:
        user.set_password(reset_password)
        user.save(update_fields=["password"])
    return user, False
