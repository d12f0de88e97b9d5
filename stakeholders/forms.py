from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _

from stakeholders.models import MembershipRole


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


# --- Members and invitations ---------------------------------------------------------------------


class InvitationForm(_BootstrapMixin, forms.Form):
    """Invite someone by e-mail with a role; `roles` limits the choice (e.g. first manager only)."""

    email = forms.EmailField(
        label=_("E-mail address"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    role = forms.ChoiceField(label=_("Role"), choices=MembershipRole.choices, initial=MembershipRole.VIEWER)

    def __init__(self, *args, roles: list[str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if roles is not None:
            self.fields["role"].choices = [(value, label) for value, label in MembershipRole.choices if value in roles]
            self.fields["role"].initial = roles[0]
        self.fields["role"].widget.attrs["class"] = "form-select"


class InvitationAcceptForm(_BootstrapMixin, forms.Form):
    """The invitee's name and chosen password (the service checks it with Django's validators)."""

    first_name = forms.CharField(
        label=_("First name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        label=_("Last name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password_confirm = forms.CharField(
        label=_("Password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        cleaned = super().clean()
        password, confirm = cleaned.get("password"), cleaned.get("password_confirm")
        if password and confirm and password != confirm:
            self.add_error("password_confirm", _("The two passwords differ."))
        return cleaned


class MemberRoleForm(forms.Form):
    """A new role for one member; the view looks the id up among its organisation's members only."""

    membership = forms.IntegerField(widget=forms.HiddenInput)
    role = forms.ChoiceField(label=_("Role"), choices=MembershipRole.choices)


class MemberForm(forms.Form):
    """One member (deactivate); scoped to the organisation by the view."""

    membership = forms.IntegerField(widget=forms.HiddenInput)


class InvitationRevokeForm(forms.Form):
    """One pending invitation; scoped to the organisation by the view."""

    invitation = forms.IntegerField(widget=forms.HiddenInput)
