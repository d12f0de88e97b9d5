from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from upr_portal.lib.html import sanitise_html
from upr_portal.lib.text import name_key


class Region(models.TextChoices):
    """UN regional groups, as used by the Human Rights Council."""

    AFRICA = "africa", _("African Group")
    ASIA_PACIFIC = "asia-pacific", _("Asia-Pacific Group")
    EEG = "eeg", _("Eastern European Group")
    GRULAC = "grulac", _("Latin American and Caribbean Group (GRULAC)")
    WEOG = "weog", _("Western European and Others Group (WEOG)")


class StateIndex(dict):
    """`name_key` -> State, for every known spelling (name, ISO code, alias)."""

    def find(self, name: str) -> "State | None":
        """The State named `name`; also when a source wrote an apostrophe as a space
        (`COTE D IVOIRE`, `LAO PEOPLE S DEMOCRATIC REPUBLIC`): keys are compared without spaces."""
        key = name_key(name)
        return self.get(key) or self.get(_COMPACT + key.replace(" ", ""))


_COMPACT = "~"  # prefix of the space-less keys, so that they never shadow a real key


class StateQuerySet(models.QuerySet):
    def name_index(self) -> StateIndex:
        """Every known spelling (name, ISO code, alias) of these States; see `StateIndex.find`."""
        index = StateIndex()
        states = {state.pk: state for state in self}
        for state in states.values():
            for name in (state.name, state.official_name, state.iso3):
                if name:
                    index[name_key(name)] = state
        for alias in StateAlias.objects.filter(state__in=states.keys()).values_list("key", "state_id"):
            index[alias[0]] = states[alias[1]]
        for key, state in list(index.items()):
            index.setdefault(_COMPACT + key.replace(" ", ""), state)
        return index


class State(models.Model):
    """A UN member State or observer State: reviewed, recommending, or both."""

    iso3 = models.CharField(_("ISO 3166 alpha-3 code"), max_length=3, unique=True)
    name = models.CharField(_("UN short name"), max_length=120, unique=True)
    official_name = models.CharField(_("formal name"), max_length=200, blank=True)
    region = models.CharField(_("UN regional group"), max_length=16, choices=Region.choices, blank=True)
    is_observer = models.BooleanField(_("observer State"), default=False)

    objects = StateQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("State")

    def __str__(self) -> str:
        return self.name


class StateAlias(models.Model):
    """Another spelling of a State's name, e.g. UPR Info's `DPR Korea`.

    `key` is the `name_key` of the alias, so lookups ignore case, accents and quotes.
    """

    state = models.ForeignKey(State, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(max_length=200)
    key = models.CharField(max_length=200, unique=True, editable=False)

    class Meta:
        ordering = ["alias"]
        verbose_name_plural = _("State aliases")

    def __str__(self) -> str:
        return self.alias

    def save(self, *args, **kwargs):
        self.key = name_key(self.alias)
        super().save(*args, **kwargs)


class OrganisationKind(models.TextChoices):
    SECRETARIAT = "nmrf-secretariat", _("NMRF secretariat")
    GOVERNMENT = "government-entity", _("Government entity")
    PARLIAMENT = "parliament", _("Parliament")
    NHRI = "nhri", _("National human rights institution")
    CSO = "cso", _("Civil society organisation")
    COALITION = "coalition", _("Coalition")
    UN_AGENCY = "un-agency", _("UN agency")
    EMBASSY = "embassy", _("Embassy")
    DONOR = "donor-agency", _("Donor agency")
    ACADEMIA = "academia", _("Academia")
    MEDIA = "media", _("Media")
    REGIONAL_BODY = "regional-body", _("Regional body")


class Organisation(models.Model):
    """An institution or group around the NMRF: a ministry, a CSO, the NHRI, an embassy…"""

    name = models.CharField(max_length=200)
    acronym = models.CharField(max_length=40, blank=True)
    slug = models.SlugField(max_length=80, unique=True, help_text=_("Used in public URLs."))
    kind = models.CharField(max_length=20, choices=OrganisationKind.choices)
    country = models.ForeignKey(
        State, on_delete=models.PROTECT, null=True, blank=True, related_name="+", help_text=_("Where it is based.")
    )
    represents = models.ForeignKey(
        State,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="embassies",
        help_text=_("For an embassy: the State it represents."),
    )
    members = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="coalitions", help_text=_("For a coalition.")
    )
    public_profile = models.TextField(blank=True)
    show_name_publicly = models.BooleanField(
        default=True, help_text=_("Off: its published work is shown without its name (organisations at risk).")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # User-written HTML is stored sanitised whatever path wrote it (form, admin, API);
        # templates sanitise it again on output (`|sanitise`, docs/security.md).
        self.public_profile = sanitise_html(self.public_profile)
        super().save(*args, **kwargs)


class MembershipRole(models.TextChoices):
    """What a member may do for its organisation; each role includes the ones before it."""

    VIEWER = "viewer", _("Viewer")
    CONTRIBUTOR = "contributor", _("Contributor")
    VALIDATOR = "validator", _("Validator")
    MANAGER = "manager", _("Manager")


class MembershipQuerySet(models.QuerySet):
    def active(self) -> "MembershipQuerySet":
        """Memberships that count: active, of an active user."""
        return self.filter(is_active=True, user__is_active=True)


class Membership(models.Model):
    """A user's role in one organisation. A user may belong to several and acts in one at a time."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=MembershipRole.choices, default=MembershipRole.VIEWER)
    is_active = models.BooleanField(_("active"), default=True, help_text=_("Off: the member can no longer act."))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["organisation__name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique_user_organisation")
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.organisation} ({self.get_role_display()})"

    @property
    def can_contribute(self) -> bool:
        """Write drafts (progress updates, assessments, comments) for the organisation."""
        return self.is_active and self.role != MembershipRole.VIEWER

    @property
    def can_validate(self) -> bool:
        """Approve the organisation's submitted work."""
        return self.is_active and self.role in (MembershipRole.VALIDATOR, MembershipRole.MANAGER)

    @property
    def can_manage(self) -> bool:
        """Invite members, change roles, edit the organisation's profile."""
        return self.is_active and self.role == MembershipRole.MANAGER


class InvitationQuerySet(models.QuerySet):
    def pending(self) -> "InvitationQuerySet":
        """Neither used, revoked nor expired."""
        return self.filter(accepted_at=None, revoked_at=None, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """An e-mailed, single-use, expiring link to join an organisation with a role.

    Only a digest of the link's secret is stored, so a database dump cannot be used to join.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=16, choices=MembershipRole.choices, default=MembershipRole.VIEWER)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation} ({self.get_role_display()})"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class ApiToken(models.Model):
    """A user's token for scripts using the API. Only a digest is stored; the key is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80, help_text=_("What the token is for, e.g. 'weekly export'."))
    prefix = models.CharField(
        max_length=12, editable=False, help_text=_("The key's first characters, to recognise it.")
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class SecurityEvent(models.Model):
    """A security-relevant event (sign-in, failure, lockout, role change, invitation, token…).

    Written by `stakeholders.security.security_event`, which also logs it.
    """

    event = models.CharField(max_length=40, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    username = models.CharField(
        max_length=254, blank=True, help_text=_("The e-mail address typed, for failed sign-ins and lockouts.")
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(db_index=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.event} {self.at:%Y-%m-%d %H:%M:%S}"
