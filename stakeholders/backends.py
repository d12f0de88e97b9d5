"""Sign-in by e-mail address: Django's User model, matched on `email` whatever its case."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest


def login_key(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The e-mail address as the lockout counts it: `Ana@X.org` and `ana@x.org` are one key.

    django-axes calls this (AXES_USERNAME_CALLABLE); without it an attacker would get a
    fresh set of attempts for every spelling of the same address.
    """
    if credentials is not None:
        value = credentials.get("username")
    else:
        value = getattr(request, "data", request.POST).get("username")
    return value.strip().lower() if isinstance(value, str) else None


class EmailBackend(ModelBackend):
    """Authenticate `username=<e-mail>` against `User.email`, case-insensitively.

    Unknown addresses cost one password hash too, so that the response time does not tell
    whether an account exists. Inactive users never authenticate (ModelBackend's rule).
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs
    ):
        email = username if username is not None else kwargs.get("email")
        if not email or password is None:
            return None
        user_model = get_user_model()
        users = list(user_model._default_manager.filter(email__iexact=email.strip())[:2])
        if len(users) != 1:
            # Unknown, or (against the rule the services enforce) ambiguous: refuse either way.
            user_model().set_password(password)
            return None
        user = users[0]
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
