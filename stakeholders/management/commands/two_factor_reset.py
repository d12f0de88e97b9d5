"""`manage.py two_factor_reset EMAIL`: remove a user's second factor (a lost phone).

Run by whoever runs the server; the user then signs in with its password alone and, where
REQUIRE_2FA concerns it, is sent to enrol again. Logged as a security event.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from stakeholders.security import security_event


class Command(BaseCommand):
    help = "Remove the two-factor devices of the user with this e-mail address."

    def add_arguments(self, parser) -> None:
        parser.add_argument("email")

    def handle(self, *args, email: str, **options) -> None:
        user = get_user_model()._default_manager.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No user has the e-mail address {email!r}.")
        removed, _ = TOTPDevice.objects.filter(user=user).delete()
        security_event("two_factor_disabled", user=user, by="manage.py two_factor_reset")
        self.stdout.write(f"{user.email}: {removed} two-factor device(s) removed.")
