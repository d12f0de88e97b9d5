from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from stakeholders import accounts, services
from stakeholders.forms import InvitationAcceptForm, InvitationForm, InvitationRevokeForm, MemberForm, MemberRoleForm
from stakeholders.models import Invitation, Membership, MembershipRole, Organisation, OrganisationKind
from stakeholders.permissions import can


@require_GET
@login_required
def workspace(request: HttpRequest) -> HttpResponse:
    """The signed-in user's start page: its organisations and roles (later issues add its work)."""
    acting = request.membership.organisation if request.membership else None
    members_url = _members_url(acting) if acting and can(request.user, "stakeholders.view_members", acting) else None
    context = {
        "memberships": request.memberships,
        "members_url": members_url,
        "may_list_organisations": can(request.user, "stakeholders.list_organisations"),
        "shortcuts": _shortcuts(acting),
    }
    return render(request, "stakeholders/workspace.html", context)


def _shortcuts(organisation: Organisation | None) -> list[tuple[str, str]]:
    """What an organisation of this kind follows, as (label, URL of the public list)."""
    if organisation is None:
        return []
    base = reverse("recommendations:list")
    if organisation.kind == OrganisationKind.EMBASSY and organisation.represents_id:
        state = organisation.represents
        label = _("Recommendations made by %(state)s") % {"state": state.name}
        return [(label, f"{base}?{urlencode({'recommending_state': state.iso3})}")]
    if organisation.kind == OrganisationKind.PARLIAMENT:
        return [(_("Recommendations that require legislation"), f"{base}?requires_legislation=true")]
    return []


@require_POST
@login_required
def switch_organisation(request: HttpRequest) -> HttpResponse:
    """Act for another of the user's organisations; any other organisation is a 404."""
    membership = get_object_or_404(
        Membership.objects.active(), user=request.user, organisation__slug=request.POST.get("organisation", "")
    )
    accounts.act_for(request, membership)
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(next_url)
    return redirect("workspace")


# --- Members and invitations ---------------------------------------------------------------------


def _organisation_for(request: HttpRequest, slug: str, *rules: str) -> Organisation:
    """The organisation named in the URL if the user may do any of `rules` to it, else a 404
    identical to an unknown slug's."""
    organisation = get_object_or_404(Organisation, slug=slug)
    if not any(can(request.user, rule, organisation) for rule in rules):
        raise Http404
    return organisation


def _members_url(organisation: Organisation) -> str:
    return reverse("organisation_members", kwargs={"slug": organisation.slug})


def _invitation_roles(user, organisation: Organisation) -> list[str] | None:
    """The roles `user` may invite with: all, or only a first manager (secretariat, confidential kind)."""
    return None if can(user, "stakeholders.manage_members", organisation) else [MembershipRole.MANAGER.value]


@require_GET
@login_required
def organisation_list(request: HttpRequest) -> HttpResponse:
    """The secretariat's way to every organisation's members page, or to the invitation of
    the first manager of one that has none yet (a CSO's members page stays closed to it)."""
    if not can(request.user, "stakeholders.list_organisations"):
        raise Http404
    has_members = Membership.objects.active().filter(organisation=OuterRef("pk"))
    organisations = Organisation.objects.annotate(has_active_members=Exists(has_members)).order_by("name")
    rows = [
        {
            "organisation": organisation,
            "members_url": _members_url(organisation)
            if can(request.user, "stakeholders.view_members", organisation)
            else None,
            "invite_url": reverse("invitation_new", kwargs={"slug": organisation.slug})
            if can(request.user, "stakeholders.invite_member", organisation)
            else None,
        }
        for organisation in organisations
    ]
    return render(request, "stakeholders/organisations.html", {"rows": rows})


@require_GET
@login_required
def organisation_members(request: HttpRequest, slug: str) -> HttpResponse:
    """The organisation's active members and, for those who may invite, its pending invitations."""
    organisation = _organisation_for(request, slug, "stakeholders.view_members")
    may_invite = can(request.user, "stakeholders.invite_member", organisation)
    members = (
        Membership.objects.active()
        .filter(organisation=organisation)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__email")
    )
    invitations = organisation.invitations.pending().order_by("email") if may_invite else []
    context = {
        "organisation": organisation,
        "members": members,
        "invitations": invitations,
        "may_manage": can(request.user, "stakeholders.manage_members", organisation),
        "may_invite": may_invite,
        "roles": MembershipRole.choices,
        "invite_form": InvitationForm(roles=_invitation_roles(request.user, organisation)) if may_invite else None,
    }
    return render(request, "stakeholders/members.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def invitation_new(request: HttpRequest, slug: str) -> HttpResponse:
    """Invite someone into the organisation (also the secretariat's way to invite the first
    manager of a new CSO, whose member list it may not see)."""
    organisation = _organisation_for(request, slug, "stakeholders.view_members", "stakeholders.invite_member")
    if not can(request.user, "stakeholders.invite_member", organisation):
        raise PermissionDenied
    form = InvitationForm(request.POST or None, roles=_invitation_roles(request.user, organisation))
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_create(organisation=organisation, by=request.user, request=request, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]})
            if can(request.user, "stakeholders.view_members", organisation):
                return redirect(_members_url(organisation))
            return redirect("workspace")
    return render(request, "stakeholders/invitation_new.html", {"organisation": organisation, "form": form})


def _member_for(organisation: Organisation, form) -> Membership:
    """The member named in the POST data, looked up among `organisation`'s active members only."""
    if not form.is_valid():
        raise BadRequest
    return get_object_or_404(
        Membership.objects.active().select_related("user", "organisation"),
        pk=form.cleaned_data["membership"],
        organisation=organisation,
    )


@require_POST
@login_required
def member_role(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = _organisation_for(request, slug, "stakeholders.view_members")
    form = MemberRoleForm(request.POST)
    membership = _member_for(organisation, form)
    try:
        services.member_change_role(
            membership=membership, role=form.cleaned_data["role"], by=request.user, request=request
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        role = MembershipRole(form.cleaned_data["role"]).label
        messages.success(request, _("%(name)s is now %(role)s.") % {"name": _member_name(membership), "role": role})
    return redirect(_members_url(organisation))


@require_POST
@login_required
def member_deactivate(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = _organisation_for(request, slug, "stakeholders.view_members")
    membership = _member_for(organisation, MemberForm(request.POST))
    try:
        services.member_deactivate(membership=membership, by=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(name)s is no longer a member.") % {"name": _member_name(membership)})
        if membership.user_id == request.user.pk:
            return redirect("workspace")  # the members page is closed to a former member
    return redirect(_members_url(organisation))


def _member_name(membership: Membership) -> str:
    return membership.user.get_full_name() or membership.user.email


@require_POST
@login_required
def invitation_revoke(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = _organisation_for(request, slug, "stakeholders.view_members")
    form = InvitationRevokeForm(request.POST)
    if not form.is_valid():
        raise BadRequest
    invitation = get_object_or_404(
        Invitation.objects.pending(), pk=form.cleaned_data["invitation"], organisation=organisation
    )
    services.invitation_revoke(invitation=invitation, by=request.user, request=request)
    messages.success(request, _("The invitation to %(email)s is revoked.") % {"email": invitation.email})
    return redirect(_members_url(organisation))


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, secret: str) -> HttpResponse:
    """Join an organisation from an e-mailed link: a new address sets its name and password,
    an existing account accepts signed in as itself."""
    invitation = services.invitation_for_secret(secret)
    if invitation is None:
        return _invitation_invalid(request)
    has_account = get_user_model()._default_manager.filter(email__iexact=invitation.email).exists()
    signed_in_as = request.user.email.lower() if request.user.is_authenticated else None
    if signed_in_as is not None and signed_in_as != invitation.email:
        step = "other_user"
    elif has_account:
        step = "join" if signed_in_as else "sign_in"
    else:
        step = "new"
    form = InvitationAcceptForm(request.POST or None) if step == "new" else None
    if request.method == "POST" and step in ("new", "join") and (form is None or form.is_valid()):
        fields = form.cleaned_data if form else {"first_name": "", "last_name": "", "password": ""}
        try:
            membership = services.invitation_accept(
                secret=secret,
                password=fields["password"],
                first_name=fields["first_name"],
                last_name=fields["last_name"],
                request=request,
            )
        except services.InvitationInvalid:
            return _invitation_invalid(request)
        except services.InvitationNeedsSignIn:
            step = "sign_in"
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _joined(request, membership)
    context = {"invitation": invitation, "step": step, "form": form, "login_next": request.path}
    return render(request, "stakeholders/invitation_accept.html", context)


def _invitation_invalid(request: HttpRequest) -> HttpResponse:
    # One page for unknown, expired, revoked and used links; it names no organisation.
    return render(request, "stakeholders/invitation_invalid.html", status=404)


def _joined(request: HttpRequest, membership: Membership) -> HttpResponse:
    if not request.user.is_authenticated:
        login(request, membership.user, backend="stakeholders.backends.EmailBackend")
    accounts.act_for(request, membership)
    messages.success(
        request,
        _("Welcome: you are now %(role)s of %(organisation)s.")
        % {"role": membership.get_role_display(), "organisation": membership.organisation.name},
    )
    return redirect("workspace")
