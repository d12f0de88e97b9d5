from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import transaction
from django.shortcuts import get_object_or_404
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin as OtpTOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from stakeholders.models import Invitation, Membership, MembershipRole, Organisation, SecurityEvent, State, StateAlias
from stakeholders.permissions import CONFIDENTIAL_KINDS, is_confidential
from stakeholders.selectors import (
    confidential_member_emails,
    confidential_member_ids,
    security_events_outside_confidential_organisations,
    users_outside_confidential_organisations,
)
from stakeholders.services import ensure_another_manager, membership_deactivate, membership_set_role
from upr_portal.lib.admin import ReadOnlyAdmin


class StateAliasInline(admin.TabularInline):
    model = StateAlias
    fields = ["alias"]
    extra = 1


@admin.register(State)
class StateAdmin(admin.ModelAdmin):
    list_display = ["name", "iso3", "region", "is_observer"]
    list_filter = ["region", "is_observer"]
    search_fields = ["name", "official_name", "iso3", "aliases__alias"]
    inlines = [StateAliasInline]


# --- Organisations and people, under the threat model (docs/permissions.md) -------------------
#
# Superusers and staff are often the government's own people, whom a CSO may need protection
# from: no admin page shows a member, an invitation or a security event of a CSO, coalition or
# NHRI, nor any user who belongs (or belonged) to one. Those organisations' managers manage
# their members in the portal. API tokens are not in the admin at all.


class MembershipInline(admin.TabularInline):
    """An open organisation's members, read-only here: roles change in the Membership admin."""

    model = Membership
    fields = ["user", "role", "is_active", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(user__in=confidential_member_ids()).select_related("user")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "acronym", "kind", "country", "show_name_publicly"]
    list_filter = ["kind", "show_name_publicly"]
    list_select_related = ["country"]
    search_fields = ["name", "acronym", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["country", "represents"]
    filter_horizontal = ["members"]
    fields = [
        "name",
        "acronym",
        "slug",
        "kind",
        "country",
        "represents",
        "members",
        "public_profile",
        "show_name_publicly",
    ]

    def get_inlines(self, request, obj):
        return [MembershipInline] if obj is not None and not is_confidential(obj) else []

    def get_readonly_fields(self, request, obj=None):
        # Turning a CSO into a ministry would open its member list to the secretariat.
        return ["kind"] if obj is not None and is_confidential(obj) else []

    def has_change_permission(self, request, obj=None) -> bool:
        # A CSO's public face is its managers' to edit (stakeholders.change_organisation), not
        # the government's: the admin shows it read-only.
        if obj is not None and is_confidential(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        # The confirmation page would list the members and invitations it deletes.
        return False


class MembershipAdminForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["user", "organisation", "role", "is_active"]

    def clean(self):
        """The portal's rule holds here too: an organisation keeps one active manager."""
        cleaned = super().clean()
        member = self.instance
        if member.pk and (cleaned.get("role") != MembershipRole.MANAGER or not cleaned.get("is_active")):
            with transaction.atomic():
                ensure_another_manager(Membership.objects.get(pk=member.pk))
        return cleaned


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Members of open organisations; changes go through the services, so they are logged."""

    form = MembershipAdminForm

    list_display = ["user", "organisation", "role", "is_active", "created_at"]
    list_filter = ["role", "is_active", "organisation__kind"]
    list_select_related = ["user", "organisation"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "organisation__name"]
    fields = ["user", "organisation", "role", "is_active"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .exclude(organisation__kind__in=CONFIDENTIAL_KINDS)
            .exclude(user__in=confidential_member_ids())
        )

    def get_readonly_fields(self, request, obj=None):
        return ["user", "organisation"] if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Nobody joins a CSO from here (a superuser adding itself would read everything).
        if db_field.name == "organisation":
            kwargs["queryset"] = Organisation.objects.exclude(kind__in=CONFIDENTIAL_KINDS)
        elif db_field.name == "user":
            kwargs["queryset"] = users_outside_confidential_organisations()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if obj.is_active:
            saved = membership_set_role(
                user=obj.user, organisation=obj.organisation, role=obj.role, by=request.user, request=request
            )
            obj.pk = saved.pk
        elif change:
            membership_deactivate(membership=Membership.objects.get(pk=obj.pk), by=request.user, request=request)
        else:
            super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # deactivate instead: the security log keeps the change


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    """Invitations to open organisations, for reference; they are sent and revoked in the portal."""

    list_display = ["email", "organisation", "role", "created_at", "expires_at", "accepted_at", "revoked_at"]
    list_filter = ["role"]
    list_select_related = ["organisation"]
    search_fields = ["email", "organisation__name"]
    fields = ["email", "organisation", "role", "invited_by", "created_at", "expires_at", "accepted_at", "revoked_at"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .exclude(organisation__kind__in=CONFIDENTIAL_KINDS)
            .exclude(email__in=confidential_member_emails())
        )


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "event", "user", "username", "organisation", "ip"]
    list_filter = ["event"]
    list_select_related = ["user", "organisation"]
    search_fields = ["=event", "username", "user__email", "=ip"]
    fields = ["at", "event", "user", "username", "organisation", "ip", "details"]
    date_hierarchy = "at"

    def get_queryset(self, request):
        return security_events_outside_confidential_organisations()


admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class UserAdmin(DjangoUserAdmin):
    """Django's user admin without anyone who belongs or belonged to a CSO, coalition or NHRI."""

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(pk__in=confidential_member_ids())


if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(OtpTOTPDeviceAdmin):
    """django-otp's admin without the devices of confidential organisations' members: its
    configuration page and QR code show the user's address and secret key."""

    # Not a raw id: its widget labels any id typed in with that user's address, unfiltered.
    raw_id_fields = []
    autocomplete_fields = ["user"]

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(user__in=confidential_member_ids())

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = users_outside_confidential_organisations()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def config_view(self, request, pk):
        get_object_or_404(self.get_queryset(request), pk=pk)
        return super().config_view(request, pk)

    def qrcode_view(self, request, pk):
        get_object_or_404(self.get_queryset(request), pk=pk)
        return super().qrcode_view(request, pk)
