from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _


class _BootstrapMixin:
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")


class EmailAuthenticationForm(_BootstrapMixin, AuthenticationForm):
    """Sign in with e-mail address and password.

    The field keeps Django's name `username` (what the authentication backends and django-axes
    read); it holds an e-mail address. One message for every failure, so that the page never
    tells whether an address has an account.
    """

    username = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    error_messages = {
        "invalid_login": _("The e-mail address or the password is not correct. The password is case-sensitive."),
        "inactive": _("The e-mail address or the password is not correct. The password is case-sensitive."),
    }


class PasswordResetEmailForm(_BootstrapMixin, PasswordResetForm):
    pass


class NewPasswordForm(_BootstrapMixin, SetPasswordForm):
    pass
