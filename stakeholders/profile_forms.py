"""Forms of the profile page (API tokens, two-factor authentication) and the sign-in code step."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from stakeholders.forms import _BootstrapMixin


class ApiTokenForm(_BootstrapMixin, forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=80,
        help_text=_("What the token is for, e.g. “weekly export”."),
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("prefix", "token")
        super().__init__(*args, **kwargs)


class CodeForm(_BootstrapMixin, forms.Form):
    """A six-digit code from the authenticator app."""

    otp = forms.RegexField(
        label=_("Code from your authenticator app"),
        regex=r"^\s*\d{6}\s*$",
        max_length=12,
        error_messages={"invalid": _("Enter the six digits your authenticator app shows.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
