from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from upr_portal.lib.text import name_key


class Region(models.TextChoices):
    """UN regional groups, as used by the Human Rights Council."""

    AFRICA = "africa", _("African Group")
    ASIA_PACIFIC = "asia-pacific", _("Asia-Pacific Group")
    EEG = "eeg", _("Eastern European Group")
    GRULAC = "grulac", _("Latin American and Caribbean Group (GRULAC)")
    WEOG = "weog", _("Western European and Others Group (WEOG)")


class StateQuerySet(models.QuerySet):
    def name_index(self) -> dict[str, "State"]:
        """Every known spelling (name, ISO code, alias) as a `name_key` -> State map."""
        index: dict[str, State] = {}
        states = {state.pk: state for state in self}
        for state in states.values():
            for name in (state.name, state.official_name, state.iso3):
                if name:
                    index[name_key(name)] = state
        for alias in StateAlias.objects.filter(state__in=states.keys()).values_list("key", "state_id"):
            index[alias[0]] = states[alias[1]]
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
