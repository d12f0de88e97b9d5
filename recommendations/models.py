import re
import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from stakeholders.models import Organisation, State
from upr_portal.lib.text import name_key


def upr_cycle(session: int | None) -> int | None:
    """UPR cycle of a Working Group session: 1–12 -> 1, 13–26 -> 2, 27–40 -> 3, 41–54 -> 4."""
    if session is None or session < 1:
        return None
    if session <= 12:
        return 1
    return (session - 13) // 14 + 2


def slugify_key(key: str) -> str:
    """URL slug of a `name_key` (already folded to ASCII-friendly words)."""
    return "-".join(key.split())[:250] or "unnamed"


def theme_slug(vocabulary: str, name: str) -> str:
    slug = slugify_key(name_key(name))
    return slug if vocabulary == ThemeVocabulary.UHRI else f"{vocabulary}-{slug}"


class MechanismKind(models.TextChoices):
    UPR = "upr", _("Universal Periodic Review")
    TREATY_BODY = "treaty-body", _("Treaty body")
    SPECIAL_PROCEDURE = "special-procedure", _("Special procedures")
    REGIONAL = "regional", _("Regional body")


class Mechanism(models.Model):
    """A body that issues recommendations: the UPR, a treaty body, special procedures…"""

    code = models.SlugField(max_length=40, unique=True)
    acronym = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=MechanismKind.choices)
    aliases = ArrayField(
        models.CharField(max_length=200),
        default=list,
        blank=True,
        help_text=_("Other names used in source files (UHRI's `- CRC-OP-AC`, full names)."),
    )

    class Meta:
        ordering = ["kind", "acronym"]

    def __str__(self) -> str:
        return self.acronym


class Review(models.Model):
    """One review of a State by a mechanism: a UPR session, a treaty body's concluding
    observations, a special procedure's country visit."""

    mechanism = models.ForeignKey(Mechanism, on_delete=models.PROTECT, related_name="reviews")
    state = models.ForeignKey(State, on_delete=models.PROTECT, related_name="reviews")
    cycle = models.PositiveSmallIntegerField(null=True, blank=True)
    session = models.PositiveSmallIntegerField(null=True, blank=True)
    date = models.DateField(null=True, blank=True)
    symbol = models.CharField(
        _("document symbol"),
        max_length=100,
        blank=True,
        help_text=_("The symbol that identifies a review without a session, e.g. CRC/C/CHN/CO/3-4."),
    )
    document_symbols = ArrayField(models.CharField(max_length=100), default=list, blank=True)

    class Meta:
        ordering = ["state__name", "mechanism__kind", "session", "date"]
        constraints = [
            models.UniqueConstraint(
                fields=["mechanism", "state", "session"],
                condition=Q(session__isnull=False),
                name="review_unique_session",
            ),
            models.UniqueConstraint(
                fields=["mechanism", "state", "symbol"],
                condition=Q(session__isnull=True),
                name="review_unique_symbol",
            ),
        ]

    def __str__(self) -> str:
        if self.session:
            return f"{self.state} – {self.mechanism} session {self.session}"
        return f"{self.state} – {self.mechanism} {self.symbol}".strip()

    def save(self, *args, **kwargs):
        if self.session and self.cycle is None and self.mechanism.kind == MechanismKind.UPR:
            self.cycle = upr_cycle(self.session)
        super().save(*args, **kwargs)

    @property
    def key(self) -> str:
        """Public key for URLs: `upr-chn-17`, or `crc-chn-crc-c-chn-co-3-4` without a session.

        Needs `mechanism` and `state` loaded; `selectors.review_by_key` reads it back.
        """
        tail = str(self.session) if self.session else re.sub(r"[^a-z0-9]+", "-", self.symbol.lower()).strip("-")
        return "-".join(part for part in (self.mechanism.code, self.state.iso3.lower(), tail) if part)


class ThemeVocabulary(models.TextChoices):
    UHRI = "uhri", _("UN human rights themes (UHRI)")
    UPR_INFO = "upr-info", _("UPR Info issues")


class NamedQuerySet(models.QuerySet):
    def key_index(self) -> dict:
        return {row.key: row for row in self}


class Theme(models.Model):
    vocabulary = models.CharField(max_length=16, choices=ThemeVocabulary.choices)
    code = models.CharField(_("legacy UHRI code"), max_length=10, blank=True)
    name = models.CharField(max_length=250)
    key = models.CharField(max_length=250, editable=False)
    slug = models.SlugField(max_length=260, unique=True, editable=False, help_text=_("Used in public URLs."))

    objects = NamedQuerySet.as_manager()

    class Meta:
        ordering = ["vocabulary", "name"]
        constraints = [
            models.UniqueConstraint(fields=["vocabulary", "key"], name="theme_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}" if self.code else self.name

    def save(self, *args, **kwargs):
        self.derive_keys()
        super().save(*args, **kwargs)

    def derive_keys(self) -> None:
        """`key` and `slug` from the name: `save` does it, `bulk_create` callers call it."""
        self.key = name_key(self.name)
        self.slug = theme_slug(self.vocabulary, self.name)


class AffectedGroup(models.Model):
    name = models.CharField(max_length=250)
    key = models.CharField(max_length=250, unique=True, editable=False)
    slug = models.SlugField(max_length=260, unique=True, editable=False, help_text=_("Used in public URLs."))

    objects = NamedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.derive_keys()
        super().save(*args, **kwargs)

    def derive_keys(self) -> None:
        """`key` and `slug` from the name: `save` does it, `bulk_create` callers call it."""
        self.key = name_key(self.name)
        self.slug = slugify_key(self.key)


class SdgGoal(models.Model):
    number = models.PositiveSmallIntegerField(unique=True)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["number"]
        verbose_name = _("SDG goal")

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"


class SdgTarget(models.Model):
    goal = models.ForeignKey(SdgGoal, on_delete=models.CASCADE, related_name="targets")
    number = models.CharField(max_length=8, unique=True, help_text=_("Official number, e.g. 16.3 or 16.a"))
    position = models.PositiveSmallIntegerField(help_text=_("Order within the goal."))
    title = models.TextField(blank=True)

    class Meta:
        ordering = ["goal__number", "position"]
        verbose_name = _("SDG target")

    def __str__(self) -> str:
        return f"{self.number} {self.title}".strip()


class Position(models.TextChoices):
    SUPPORTED = "supported", _("Supported")
    SUPPORTED_IN_PART = "supported-in-part", _("Supported in part")
    NOTED = "noted", _("Noted")
    PENDING = "pending", _("Pending")
    VOLUNTARY_PLEDGE = "voluntary-pledge", _("Voluntary pledge")


class ImplementationStatus(models.TextChoices):
    NOT_REPORTED = "not-reported", _("No status reported")
    NOT_STARTED = "not-started", _("Not started")
    IN_PROGRESS = "in-progress", _("In progress")
    PARTIALLY_IMPLEMENTED = "partially-implemented", _("Partially implemented")
    FULLY_IMPLEMENTED = "fully-implemented", _("Fully implemented")
    NO_LONGER_APPLICABLE = "no-longer-applicable", _("No longer applicable")


class Source(models.TextChoices):
    UPR_INFO = "upr-info", _("UPR Info database export")
    OHCHR_LIST = "ohchr-list", _("OHCHR thematic list of recommendations")
    UHRI = "uhri", _("Universal Human Rights Index export")
    PORTAL = "portal", _("UPR Portal export")
    MANUAL = "manual", _("Entered in the portal")


class ActionCategory(models.IntegerChoices):
    """UPR Info's action categories (McMahon), 1 = minimal to 5 = specific action."""

    MINIMAL = 1, _("1 – Minimal action")
    CONTINUING = 2, _("2 – Continuing action")
    CONSIDERING = 3, _("3 – Considering action")
    GENERAL = 4, _("4 – General action")
    SPECIFIC = 5, _("5 – Specific action")


class Recommendation(models.Model):
    """One UN paragraph (or one UPR Info text in a review) addressed to a State."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="recommendations")
    paragraph = models.CharField(max_length=20, blank=True)
    text = models.TextField()
    recommending_states = models.ManyToManyField(State, blank=True, related_name="recommendations_made")
    position = models.CharField(max_length=20, choices=Position.choices, blank=True)
    position_source = models.CharField(
        _("source of position"), max_length=200, blank=True, help_text=_("e.g. A/HRC/25/5/Add.1 - Para. 186.28")
    )
    action_category = models.PositiveSmallIntegerField(choices=ActionCategory.choices, null=True, blank=True)
    annotation_type = models.CharField(
        max_length=100, blank=True, help_text=_("UHRI annotation type, e.g. Recommendations or Concerns/Observations.")
    )
    themes = models.ManyToManyField(Theme, blank=True, related_name="recommendations")
    affected_groups = models.ManyToManyField(AffectedGroup, blank=True, related_name="recommendations")
    sdg_goals = models.ManyToManyField(SdgGoal, blank=True, related_name="recommendations")
    sdg_targets = models.ManyToManyField(SdgTarget, blank=True, related_name="recommendations")
    requires_legislation = models.BooleanField(default=False)
    source = models.CharField(max_length=16, choices=Source.choices)
    external_id = models.CharField(
        max_length=64, blank=True, help_text=_("Identifier in the source, e.g. the OHCHR annotation id.")
    )
    status = models.CharField(
        _("implementation status"),
        max_length=24,
        choices=ImplementationStatus.choices,
        default=ImplementationStatus.NOT_REPORTED,
        editable=False,
        help_text=_("Copy of the latest status change; written only by recommendation_set_status."),
    )
    status_date = models.DateField(null=True, blank=True, editable=False)
    match_keys = ArrayField(models.TextField(), default=list, blank=True, editable=False)
    former_codes = ArrayField(models.UUIDField(), default=list, blank=True, editable=False)
    # --- Search and facet columns: copies kept by `recommendations.indexing.reindex` so that
    # the public list's facet index (`facet_index`) reads one table. The tsvector of
    # `search_document` is kept beside it, in `SearchEntry`.
    search_document = models.TextField(blank=True, editable=False)
    f_state = models.CharField(max_length=3, blank=True, editable=False)
    f_mechanism = models.CharField(max_length=40, blank=True, editable=False)
    f_cycle = models.PositiveSmallIntegerField(null=True, editable=False)
    f_session = models.PositiveSmallIntegerField(null=True, editable=False)
    f_date = models.DateField(null=True, editable=False)
    f_paragraph = ArrayField(models.IntegerField(), default=list, editable=False)
    f_themes = ArrayField(models.CharField(max_length=260), default=list, editable=False)
    f_groups = ArrayField(models.CharField(max_length=260), default=list, editable=False)
    f_sdgs = ArrayField(models.CharField(max_length=8), default=list, editable=False)
    f_recommending = ArrayField(models.CharField(max_length=3), default=list, editable=False)
    f_regions = ArrayField(models.CharField(max_length=16), default=list, editable=False)
    f_institutions = ArrayField(models.CharField(max_length=80), default=list, editable=False)
    fingerprints = models.JSONField(default=dict, blank=True, editable=False)
    # field -> source that last set it, where that is not `source`: a source may
    # update the fields it gave, and only fill the others when they are empty.
    provenance = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["review", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "paragraph"], condition=~Q(paragraph=""), name="recommendation_unique_paragraph"
            ),
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="recommendation_unique_external_id"
            ),
            models.CheckConstraint(
                condition=Q(action_category__isnull=True) | Q(action_category__gte=1, action_category__lte=5),
                name="recommendation_action_category_range",
            ),
        ]
        indexes = [
            # Few indexes on purpose: every one is kept up to date by each imported row.
            # The public list and the API list filter, count and order in memory
            # (`facet_index`), so the facet arrays need no GIN index and the list orders no
            # B-tree; SQL filters on them (downloads, exports) read the table once. No
            # trigram index on `text` either: the related recommendations narrow by State
            # and then call similarity(), which no index serves.
            models.Index(fields=["f_state", "f_cycle"], name="rec_f_state_cycle"),
        ]

    def __str__(self) -> str:
        prefix = f"{self.paragraph} " if self.paragraph else ""
        return f"{prefix}{self.text[:80]}"

    # Django's generated get_FOO_display rebuilds a dict of the choices on every call
    # (~70 µs); the list page shows two per row. Same result from a dict built once.
    def get_position_display(self) -> str:
        return str(_POSITION_LABELS.get(self.position, self.position))

    def get_status_display(self) -> str:
        return str(_STATUS_LABELS.get(self.status, self.status))


_POSITION_LABELS = dict(Position.choices)  # lazy labels: translated when read
_STATUS_LABELS = dict(ImplementationStatus.choices)


class ResponsibilityRole(models.TextChoices):
    LEAD = "lead", _("Lead institution")
    SUPPORTING = "supporting", _("Supporting institution")


class Responsibility(models.Model):
    """A government entity answerable for implementing a recommendation."""

    recommendation = models.ForeignKey(Recommendation, on_delete=models.CASCADE, related_name="responsibilities")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="responsibilities")
    role = models.CharField(max_length=12, choices=ResponsibilityRole.choices, default=ResponsibilityRole.SUPPORTING)
    assigned_at = models.DateTimeField(auto_now_add=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        ordering = ["recommendation", "role", "organisation__name"]
        verbose_name_plural = _("responsibilities")
        constraints = [
            models.UniqueConstraint(fields=["recommendation", "organisation"], name="responsibility_unique"),
            models.UniqueConstraint(
                fields=["recommendation"], condition=Q(role="lead"), name="responsibility_one_lead"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.get_role_display()})"


class SearchEntry(models.Model):
    """What full-text search reads of one recommendation: the tsvector of its
    `search_document` (its text with the names of its themes, groups, recommending States,
    institutions and State).

    Kept by `recommendations.indexing` (and written by imports) in a table of its own, one
    ~0.3 kB row per recommendation: a broad search matches and ranks a fifth of the rows,
    and reads them here three times faster than among the ~1.2 kB rows of the
    recommendations.
    """

    recommendation = models.OneToOneField(
        Recommendation, on_delete=models.CASCADE, primary_key=True, related_name="search"
    )
    vector = SearchVectorField()

    class Meta:
        indexes = [GinIndex(fields=["vector"], name="search_entry_vector")]

    def __str__(self) -> str:
        return str(self.recommendation_id)


class SearchPosting(models.Model):
    """The recommendations that one frequent word matches, with their ranks, for one data
    version (`recommendations.postings`).

    A search for a single word reads its row instead of matching and ranking every
    recommendation that has the word, whose cost grows with the data (~0.7 µs a match:
    `women` matches 55,000 of 300,000). Built after every data change by the background
    job; a search of another version, of several words or of a rare word reads the
    search entries as before.
    """

    version = models.BigIntegerField()
    # The word as `websearch_to_tsquery` prints a query of it alone, quotes included: 'women'.
    term = models.TextField()
    ids = models.BinaryField()  # recommendation ids, int8 big-endian, ascending
    ranks = models.BinaryField()  # ts_rank of each, float4 big-endian, in the same order

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "term"], name="search_posting_version_term")]

    def __str__(self) -> str:
        return f"{self.term} @ {self.version}"


class RelatedSet(models.Model):
    """A recommendation's related ones (`recommendations.related`), best first, for one
    data version: computed by the background job after every data change, read by its
    page and the API. Plain ids, no foreign keys: a version's rows are written at once,
    and an older version's are never read (the row of recommendation 0 marks a version
    as computed)."""

    version = models.BigIntegerField()
    recommendation_id = models.BigIntegerField()
    others = ArrayField(models.BigIntegerField())

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "recommendation_id"], name="related_set_version_recommendation")
        ]

    def __str__(self) -> str:
        return f"{self.recommendation_id} @ {self.version}"


class DataVersion(models.Model):
    """A single counter bumped whenever public data is reindexed (cache keys use it)."""

    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.version)


class StatusSource(models.TextChoices):
    IMPORT = "import", _("Import")
    PROGRESS_UPDATE = "progress-update", _("Validated progress update")
    MANUAL = "manual", _("Set by the secretariat")


class StatusChange(models.Model):
    """Append-only history of a recommendation's implementation status.

    Rows are never updated or deleted (a database trigger enforces it); the
    recommendation's `status` is a copy of the newest row.
    """

    recommendation = models.ForeignKey(Recommendation, on_delete=models.PROTECT, related_name="status_changes")
    previous_status = models.CharField(max_length=24, choices=ImplementationStatus.choices)
    status = models.CharField(max_length=24, choices=ImplementationStatus.choices)
    effective_date = models.DateField()
    source = models.CharField(max_length=20, choices=StatusSource.choices)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recommendation", "effective_date", "id"]
        indexes = [models.Index(fields=["recommendation", "-effective_date", "-id"])]

    def __str__(self) -> str:
        return f"{self.effective_date}: {self.get_status_display()}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Status changes are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Status changes are append-only.")


class ImportFormat(models.TextChoices):
    AUTO = "auto", _("Detect from the file")
    UPR_INFO_CSV = "upr-info-csv", _("UPR Info export (CSV)")
    UPR_INFO_XLS = "upr-info-xls", _("UPR Info export (XLS)")
    OHCHR_DOCX = "ohchr-docx", _("OHCHR thematic list (DOCX)")
    UHRI_XLSX = "uhri-xlsx", _("UHRI export (XLSX)")
    PORTAL_CSV = "portal-csv", _("UPR Portal export (CSV)")
    PORTAL_XLSX = "portal-xlsx", _("UPR Portal export (XLSX)")


class ImportRun(models.Model):
    """One import of one file: its job state, progress, summary and errors."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a worker")
        RUNNING = "running", _("Running")
        VALIDATED = "validated", _("Checked (dry run)")
        SUCCEEDED = "succeeded", _("Imported")
        FAILED = "failed", _("Failed")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    filename = models.CharField(max_length=255)
    file = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    format = models.CharField(max_length=16, choices=ImportFormat.choices, default=ImportFormat.AUTO)
    dry_run = models.BooleanField(default=False)
    # What the reader needs besides the file: {"state": ..., "session": ...} (only those given).
    options = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    summary = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def progress_percent(self) -> int:
        if not self.rows_total:
            return 0
        return min(100, round(100 * self.rows_done / self.rows_total))

    @property
    def option_items(self) -> list[tuple[str, object]]:
        """The import's options as (label, value) pairs, for display."""
        labels = {"state": _("State under review"), "session": _("UPR session")}
        return [(label, self.options[key]) for key, label in labels.items() if self.options.get(key)]


class ImportDigest(models.Model):
    """What a successful import of one exact file produced, so that importing the very
    same file again is answered from its SHA-256 after checking, in one query, that every
    recommendation it made still carries the same fingerprint from that source."""

    key = models.CharField(max_length=64, unique=True, help_text=_("SHA-256 of format, options and content."))
    source = models.CharField(max_length=16, choices=Source.choices)
    rows = models.PositiveIntegerField()
    warnings = models.JSONField(default=list, blank=True)
    # Comma-separated: an array field prepares each of thousands of ids in Python.
    recommendation_ids = models.TextField(blank=True, help_text=_("Comma-separated, in ascending order."))
    fingerprint = models.CharField(
        max_length=64, blank=True, help_text=_("SHA-256 of the recommendations' source fingerprints, in id order.")
    )
    created_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.key


class RecommendationChange(models.Model):
    """A field that an import changed on an existing recommendation (old -> new)."""

    recommendation = models.ForeignKey(Recommendation, on_delete=models.CASCADE, related_name="changes")
    import_run = models.ForeignKey(ImportRun, on_delete=models.SET_NULL, null=True, blank=True)
    field = models.CharField(max_length=50)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_value[:30]} -> {self.new_value[:30]}"
