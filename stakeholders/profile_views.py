"""Sign-in with its code step, and the profile page: API tokens and two-factor authentication."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from stakeholders import forms, two_factor
from stakeholders.models import ApiToken
from stakeholders.permissions import can
from stakeholders.profile_forms import ApiTokenForm, CodeForm
from stakeholders.services import api_token_create, api_token_revoke

# --- Sign-in ------------------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    """The password step. A user with a confirmed device is not signed in yet: the session
    remembers it for the code step (`two_factor.pending_start`)."""

    template_name = "stakeholders/login.html"
    authentication_form = forms.EmailAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if two_factor.confirmed_device(user) is None:
            return super().form_valid(form)
        two_factor.pending_start(self.request, user, backend=user.backend, next_url=self.get_redirect_url())
        return redirect("login_code")


@sensitive_post_parameters("otp")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """The code step: the sign-in completes only with a right code, within a few minutes."""
    pending = two_factor.pending_user(request)
    if pending is None:
        return redirect("login")
    user, backend, next_url = pending
    device = two_factor.confirmed_device(user)
    if device is None:  # removed in the meantime: the password alone was the whole sign-in
        two_factor.pending_clear(request)
        return redirect("login")
    if two_factor.is_locked_out(request, user):
        two_factor.pending_clear(request)
        return two_factor.lockout_response(request, user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["otp"]
        if two_factor.code_check(request, user=user, device=device, code=code, stage="login"):
            two_factor.pending_clear(request)
            user.otp_device = device  # django-otp marks the session verified at login
            login(request, user, backend=backend)
            return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
        if getattr(request, "axes_locked_out", False):
            two_factor.pending_clear(request)  # AxesMiddleware answers with the lockout page
        form.add_error("otp", _("The code is not correct, or it has been used already. Wait for the next one."))
    return render(request, "stakeholders/two_factor_login.html", {"form": form})


# --- Profile --------------------------------------------------------------------------------------


def _profile_context(request: HttpRequest, **extra) -> dict:
    devices = list(TOTPDevice.objects.filter(user=request.user))
    device = next((d for d in devices if d.confirmed), None)
    enrolling = None if device else next((d for d in devices if not d.confirmed), None)
    context = {
        "tokens": ApiToken.objects.filter(user=request.user).order_by("-created_at"),
        "token_form": ApiTokenForm(),
        "device": device,
        "enrolling": enrolling,
        "confirm_form": CodeForm(prefix="confirm"),
        "disable_form": CodeForm(prefix="disable"),
        "two_factor_required": two_factor.enrolment_required(request.memberships),
    }
    if enrolling:
        context |= {"qr_svg": two_factor.qr_svg(enrolling), "secret": two_factor.secret_text(enrolling)}
    return context | extra


def _own_account(request: HttpRequest) -> None:
    if not can(request.user, "stakeholders.manage_own_account"):
        raise PermissionDenied


@require_GET
@login_required
@never_cache  # the page may hold a new key or the second factor's secret
def profile(request: HttpRequest) -> HttpResponse:
    """The user's API tokens and second factor."""
    _own_account(request)
    return render(request, "stakeholders/profile.html", _profile_context(request))


@require_POST
@login_required
@never_cache
def api_token_new(request: HttpRequest) -> HttpResponse:
    """Create a token and show its key this once (the page is not redirected, so the key is
    never stored anywhere to be shown again)."""
    _own_account(request)
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return render(request, "stakeholders/profile.html", _profile_context(request, token_form=form), status=400)
    try:
        token, key = api_token_create(user=request.user, name=form.cleaned_data["name"], request=request)
    except ValidationError as error:
        form.add_error(None, error)
        return render(request, "stakeholders/profile.html", _profile_context(request, token_form=form), status=400)
    context = _profile_context(request, new_token=token, new_key=key)
    return render(request, "stakeholders/profile.html", context)


@require_POST
@login_required
def api_token_delete(request: HttpRequest, token_id: int) -> HttpResponse:
    """Revoke one of the user's own tokens; anyone else's is a 404."""
    _own_account(request)
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    api_token_revoke(token=token, request=request)
    return redirect(reverse("profile") + "#api-tokens")


@require_POST
@login_required
def two_factor_enrol(request: HttpRequest) -> HttpResponse:
    """Start enrolment: a new key, shown as a QR code and as text on the profile page."""
    _own_account(request)
    if two_factor.confirmed_device(request.user) is None:
        two_factor.two_factor_start(user=request.user)
    return redirect(reverse("profile") + "#two-factor")


@sensitive_post_parameters("confirm-otp")
@require_POST
@login_required
@never_cache
def two_factor_confirm(request: HttpRequest) -> HttpResponse:
    """Finish enrolment with a code from the app: only then does the device count."""
    _own_account(request)
    return _code_step(
        request,
        device=two_factor.unconfirmed_device(request.user),
        prefix="confirm",
        action=two_factor.two_factor_enable,
        error=_("The code is not correct. Check the time on your device and try the next code."),
    )


@sensitive_post_parameters("disable-otp")
@require_POST
@login_required
@never_cache
def two_factor_remove(request: HttpRequest) -> HttpResponse:
    """Turn two-factor authentication off; needs a current code."""
    _own_account(request)
    return _code_step(
        request,
        device=two_factor.confirmed_device(request.user),
        prefix="disable",
        action=two_factor.two_factor_disable,
        error=_("The code is not correct, or it has been used already. Wait for the next one."),
    )


def _code_step(request: HttpRequest, *, device, prefix: str, action, error: str) -> HttpResponse:
    """Check the posted code (form `prefix`) and do `action` with it; a wrong code shows the
    profile again with `error` (status 400). No device to act on: back to the profile."""
    if device is None:
        return redirect(reverse("profile") + "#two-factor")
    form = CodeForm(request.POST, prefix=prefix)
    if form.is_valid():
        if action(request=request, device=device, code=form.cleaned_data["otp"]):
            return redirect(reverse("profile") + "#two-factor")
        form.add_error("otp", error)
    return render(
        request, "stakeholders/profile.html", _profile_context(request, **{f"{prefix}_form": form}), status=400
    )
