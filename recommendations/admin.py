"""Django admin for the secretariat's superusers: reference data, recommendations, imports.

Writes that have rules go through services even here: a recommendation's status is set
with `recommendation_set_status` (its history is append-only), and files are imported as
background jobs (`recommendations.jobs`), checked by a dry run first.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from recommendations.forms import ImportUploadForm, LineArrayField, RecommendationStatusForm
from recommendations.jobs import FINISHED, import_run_confirm, import_run_confirmation, import_run_request
from recommendations.models import (
    AffectedGroup,
    ImportRun,
    Mechanism,
    Recommendation,
    RecommendationChange,
    Review,
    SdgGoal,
    SdgTarget,
    Source,
    StatusChange,
    StatusSource,
    Theme,
)
from recommendations.services import recommendation_set_status
from upr_portal.lib.admin import ReadOnlyAdmin
from upr_portal.lib.uploads import report_refused_upload

# --- reference data ---------------------------------------------------------------------------


class MechanismForm(forms.ModelForm):
    aliases = LineArrayField(forms.CharField(max_length=200), required=False, help_text=_("One name per line."))

    class Meta:
        model = Mechanism
        fields = ["code", "acronym", "name", "kind", "aliases"]


@admin.register(Mechanism)
class MechanismAdmin(admin.ModelAdmin):
    form = MechanismForm
    list_display = ["acronym", "name", "kind", "code"]
    list_filter = ["kind"]
    search_fields = ["acronym", "name", "code"]


class ReviewForm(forms.ModelForm):
    document_symbols = LineArrayField(forms.CharField(max_length=100), required=False, help_text=_("One per line."))

    class Meta:
        model = Review
        fields = ["mechanism", "state", "cycle", "session", "date", "symbol", "document_symbols"]


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    form = ReviewForm
    list_display = ["__str__", "state", "mechanism", "cycle", "session", "date", "symbol"]
    list_filter = ["mechanism", "cycle"]
    list_select_related = ["state", "mechanism"]
    search_fields = ["state__name", "symbol"]
    autocomplete_fields = ["state"]


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "vocabulary"]
    list_filter = ["vocabulary"]
    search_fields = ["name", "code"]


@admin.register(AffectedGroup)
class AffectedGroupAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


class SdgTargetInline(admin.TabularInline):
    model = SdgTarget
    fields = ["number", "position", "title"]
    readonly_fields = ["number", "position"]  # official numbering, seeded
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SdgGoal)
class SdgGoalAdmin(admin.ModelAdmin):
    list_display = ["number", "name"]
    search_fields = ["name", "=number"]
    inlines = [SdgTargetInline]

    def get_readonly_fields(self, request, obj=None):
        return ["number"] if obj else []


@admin.register(SdgTarget)
class SdgTargetAdmin(admin.ModelAdmin):
    """Listed for the recommendation form's autocomplete; edited within the goal."""

    list_display = ["number", "goal", "title"]
    list_filter = ["goal"]
    list_select_related = ["goal"]
    search_fields = ["number", "title"]

    def get_readonly_fields(self, request, obj=None):
        return ["goal", "number", "position"] if obj else []


# --- recommendations ---------------------------------------------------------------------------


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields  # also keeps non-editable fields out of the (unused) form

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class StatusChangeInline(ReadOnlyInline):
    model = StatusChange
    verbose_name_plural = _("Status history")
    fields = ["effective_date", "previous_status", "status", "source", "note", "recorded_by", "recorded_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recorded_by").order_by("-effective_date", "-id")


class RecommendationChangeInline(ReadOnlyInline):
    model = RecommendationChange
    verbose_name_plural = _("Changes made by imports")
    fields = ["changed_at", "field", "old_value", "new_value", "import_run"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("import_run")


@admin.register(Recommendation)
class RecommendationAdmin(admin.ModelAdmin):
    list_display = ["short_text", "state", "session_cycle", "paragraph", "position", "status"]
    list_filter = ["review__mechanism", "review__cycle", "position", "status", "source"]
    list_select_related = ["review__state", "review__mechanism"]
    search_fields = ["text", "paragraph", "=external_id"]
    search_help_text = _("Words of the text, a paragraph number, or an exact source id.")
    # 300,000 rows: newest first along the primary key, no full count, no facet counts.
    ordering = ["-id"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    raw_id_fields = ["review"]
    autocomplete_fields = ["recommending_states", "themes", "affected_groups", "sdg_goals", "sdg_targets"]
    readonly_fields = ["code", "status", "status_date", "source", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["review", "paragraph", "text", "recommending_states"]}),
        (_("Response"), {"fields": ["position", "position_source", "action_category", "requires_legislation"]}),
        (_("Implementation"), {"fields": ["status", "status_date"]}),
        (_("Tags"), {"fields": ["themes", "affected_groups", "sdg_goals", "sdg_targets", "annotation_type"]}),
        (_("Source"), {"fields": ["code", "source", "external_id", "created_at", "updated_at"]}),
    ]
    inlines = [StatusChangeInline, RecommendationChangeInline]

    @admin.display(description=_("text"))
    def short_text(self, obj: Recommendation) -> str:
        return Truncator(obj.text).chars(90)

    @admin.display(description=_("State"), ordering="review__state__name")
    def state(self, obj: Recommendation) -> str:
        return obj.review.state.name

    @admin.display(description=_("session / cycle"))
    def session_cycle(self, obj: Recommendation) -> str:
        review = obj.review
        if review.session:
            return f"{review.session} / {review.cycle}" if review.cycle else str(review.session)
        return review.symbol

    def save_model(self, request, obj, form, change):
        if not change and not obj.source:
            obj.source = Source.MANUAL  # typed in here, not imported
        super().save_model(request, obj, form, change)

    def get_urls(self):
        view = self.admin_site.admin_view(self.set_status_view)
        return [
            path("<path:object_id>/set-status/", view, name="recommendations_recommendation_set_status"),
            *super().get_urls(),
        ]

    def set_status_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        recommendation = self.get_object(request, object_id)
        if recommendation is None:
            raise Http404
        if not self.has_change_permission(request, recommendation):
            raise PermissionDenied
        form = RecommendationStatusForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            recommendation_set_status(
                recommendation=recommendation,
                status=form.cleaned_data["status"],
                effective_date=form.cleaned_data["effective_date"],
                source=StatusSource.MANUAL,
                user=request.user,
                note=form.cleaned_data["note"],
            )
            self.message_user(request, _("The status change was recorded."), messages.SUCCESS)
            return HttpResponseRedirect(
                reverse("admin:recommendations_recommendation_change", args=[recommendation.pk])
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Set the implementation status"),
            "subtitle": str(recommendation),
            "original": recommendation,
            "form": form,
        }
        return TemplateResponse(request, "admin/recommendations/recommendation/set_status.html", context)


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyAdmin):
    """Append-only history (a database trigger refuses updates and deletes)."""

    list_display = ["recommendation", "effective_date", "previous_status", "status", "source", "recorded_by"]
    list_filter = ["status", "source"]
    list_select_related = ["recommendation", "recorded_by"]
    search_fields = ["=recommendation__code", "note"]
    ordering = ["-id"]
    show_full_result_count = False


@admin.register(RecommendationChange)
class RecommendationChangeAdmin(ReadOnlyAdmin):
    list_display = ["recommendation", "field", "old_value", "new_value", "import_run", "changed_at"]
    list_filter = ["field"]
    list_select_related = ["recommendation", "import_run"]
    raw_id_fields = ["recommendation", "import_run"]
    ordering = ["-id"]
    show_full_result_count = False


# --- imports ---------------------------------------------------------------------------------------


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdmin):
    """Import jobs: started from the "Import recommendations" page, followed on a status page."""

    list_display = [
        "filename",
        "kind",
        "format",
        "status_link",
        "progress",
        "rows_total",
        "created",
        "updated",
        "unchanged",
        "error_count",
        "requested_by",
        "requested_at",
    ]
    list_filter = ["status", "dry_run", "format"]
    list_select_related = ["requested_by"]
    search_fields = ["filename"]
    fields = [
        "filename",
        "format",
        "dry_run",
        "import_options",
        "status",
        "summary",
        ("rows_total", "rows_done"),
        ("created", "updated", "unchanged", "error_count"),
        "requested_by",
        "requested_at",
        "finished_at",
    ]

    @admin.display(description=_("kind"), ordering="dry_run")
    def kind(self, run: ImportRun) -> str:
        return _("dry run") if run.dry_run else _("import")

    @admin.display(description=_("status"), ordering="status")
    def status_link(self, run: ImportRun) -> str:
        url = reverse("admin:recommendations_importrun_status", args=[run.pk])
        return format_html('<a href="{}">{}</a>', url, run.get_status_display())

    @admin.display(description=_("options"))
    def import_options(self, run: ImportRun) -> str | None:
        return "; ".join(f"{label}: {value}" for label, value in run.option_items) or None

    @admin.display(description=_("progress"))
    def progress(self, run: ImportRun) -> str:
        if run.status in FINISHED:
            return "–" if run.status == ImportRun.Status.FAILED else "100 %"
        return f"{run.progress_percent} %" if run.rows_total else f"{run.rows_done} rows"

    def has_import_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.add_{self.opts.model_name}")

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("import/", wrap(self.import_view), name="recommendations_importrun_import"),
            path("<int:object_id>/status/", wrap(self.status_view), name="recommendations_importrun_status"),
            path(
                "<int:object_id>/confirm/",
                wrap(require_POST(self.confirm_view)),
                name="recommendations_importrun_confirm",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = (extra_context or {}) | {
            "import_url": reverse("admin:recommendations_importrun_import")
            if self.has_import_permission(request)
            else None
        }
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = (extra_context or {}) | {
            "status_url": reverse("admin:recommendations_importrun_status", args=[object_id]),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = ImportUploadForm(request.POST or None, request.FILES or None)
        report_refused_upload(request, form)  # a file stopped mid-stream for its size
        if request.method == "POST" and form.is_valid():
            run = import_run_request(
                upload=form.cleaned_data["file"], fmt=form.cleaned_data["format"], user=request.user, **form.options()
            )
            return HttpResponseRedirect(self._status_url(run))
        context = self._context(request, _("Import recommendations")) | {"form": form}
        return TemplateResponse(request, "admin/recommendations/importrun/import_form.html", context)

    def status_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        run = self._get_run(request, object_id)
        confirmation = import_run_confirmation(run) if run.dry_run else None
        context = self._context(request, _("Dry run of %s") % run.filename if run.dry_run else run.filename) | {
            "run": run,
            "refresh": run.status not in FINISHED,
            "confirmation": confirmation,
            "can_confirm": (
                run.dry_run
                and run.status == ImportRun.Status.VALIDATED
                and confirmation is None
                and self.has_import_permission(request)
            ),
        }
        return TemplateResponse(request, "admin/recommendations/importrun/status.html", context)

    def confirm_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        run = self._get_run(request, object_id)
        if not self.has_import_permission(request):
            raise PermissionDenied
        try:
            confirmed = import_run_confirm(dry_run=run, user=request.user)
        except ValueError:
            self.message_user(request, _("Only a dry run without errors can be imported."), messages.ERROR)
            return HttpResponseRedirect(self._status_url(run))
        return HttpResponseRedirect(self._status_url(confirmed))

    def _get_run(self, request: HttpRequest, object_id: int) -> ImportRun:
        run = get_object_or_404(ImportRun.objects.select_related("requested_by"), pk=object_id)
        if not self.has_view_permission(request, run):
            raise PermissionDenied
        return run

    def _status_url(self, run: ImportRun) -> str:
        return reverse("admin:recommendations_importrun_status", args=[run.pk])

    def _context(self, request: HttpRequest, title: str) -> dict:
        return {**self.admin_site.each_context(request), "opts": self.opts, "title": title}
