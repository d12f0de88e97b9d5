"""Public pages of the recommendations app: the recommendation browser and the States."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from recommendations import charts, exports, stats
from recommendations.filters import RecommendationFilterSet
from recommendations.forms import AssignedFilterForm, BulkAssignForm, ResponsibilityForm
from recommendations.models import Recommendation, ResponsibilityRole, ThemeVocabulary
from recommendations.selectors import (
    PAGE_SIZE,
    assignments_for_organisation,
    facet_counts,
    filter_summary,
    government_entities,
    recommendation_filterset,
    recommendation_page,
    recommendation_with_related,
)
from recommendations.services import responsibilities_bulk_assign, responsibility_set
from recommendations.vocabulary import data_version
from stakeholders.models import State
from stakeholders.permissions import can
from upr_portal.lib.urls import RowUrl


@require_GET
def state_list(request: HttpRequest) -> HttpResponse:
    return render(request, "recommendations/state_list.html", {"states": stats.states_under_review()})


@require_GET
def state_detail(request: HttpRequest, iso3: str) -> HttpResponse:
    state = get_object_or_404(State, iso3=iso3.upper())
    recommendations = Recommendation.objects.filter(review__state=state)
    cube = stats.recommendation_cube(recommendations)
    themes = stats.theme_position_matrices(recommendations)
    context = {
        "state": state,
        "reviews": stats.state_reviews(state),
        "cube": cube,
        "charts": charts.state_charts(iso3=state.iso3, cube=cube, themes=themes),
    }
    return render(request, "recommendations/state_detail.html", context)


# --- Recommendation browser ------------------------------------------------------------------

# "" (the default) sorts by relevance when there is a search, newest first otherwise, so a
# search typed into the form is ranked even though the form always sends this field.
ORDERING_CHOICES = [("", _("Best match")), *RecommendationFilterSet.base_filters["ordering"].extra["choices"]]


@require_GET
def recommendation_list(request: HttpRequest) -> HttpResponse:
    filterset = recommendation_filterset(request.GET)
    download = request.GET.get("download")
    if download in DOWNLOADS and filterset.is_valid():
        return DOWNLOADS[download](filterset.qs)
    valid = filterset.is_valid()
    expanded = {name for name in request.GET.getlist("more") if name in RecommendationFilterSet.FACETS}
    facets = facet_counts(filterset, limit=FACETS_SHOWN, expanded=expanded) if valid else []
    context = {
        "filterset": filterset,
        "page": recommendation_page(filterset, request.GET.get("page")) if valid else None,
        "detail_url": RowUrl("recommendations:detail"),
        "facets": facets,
        "facet_sidebar": _facet_sidebar(facets, _query_without(request, "page", "download", "more"), expanded),
        "query": _query_without(request, "page", "download"),
        "ordering_choices": ORDERING_CHOICES,
        "ordering": request.GET.get("ordering", ""),
        **bulk_assign_controls(request, valid, _query_without(request, "page", "download")),  # secretariat only
    }
    return render(request, "recommendations/list.html", context, status=200 if valid else 400)


@require_GET
def recommendation_detail(request: HttpRequest, code) -> HttpResponse:
    page = _detail_page(code)
    if "moved_to" in page:  # absorbed into a UN paragraph: its old address keeps working
        return redirect("recommendations:detail", code=page["moved_to"], permanent=True)
    if "content" not in page:
        raise Http404
    context = {"title": page["title"], "content": page["content"]}
    # The secretariat's form goes around the cached content, never into it.
    return render(request, "recommendations/detail.html", context | responsibility_controls(request, code))


def _detail_page(code) -> dict:
    """{title, content} of a recommendation's page in the active language, {moved_to} or {}.

    The content is the same for every visitor (the layout around it is not: sign-in,
    CSRF token), so it is rendered once per data version and language and cached for
    `settings.PUBLIC_CACHE_SECONDS` (0: not cached).
    """
    version, seconds = data_version(), settings.PUBLIC_CACHE_SECONDS
    key = f"recommendation-page:{version}:{get_language()}:{code}" if seconds > 0 else None
    page = cache.get(key) if key else None
    if page is not None:
        return page
    rec, moved, values = recommendation_with_related(code, version=version)
    if rec is None:
        page = {}
    elif moved:
        page = {"moved_to": str(rec.code)}
    else:
        themes = values["themes"]
        context = {
            "rec": rec,
            **values,
            "uhri_themes": [theme for theme in themes if theme["vocabulary"] == ThemeVocabulary.UHRI],
            "upr_info_issues": [theme for theme in themes if theme["vocabulary"] == ThemeVocabulary.UPR_INFO],
            "detail_url": RowUrl("recommendations:detail"),
        }
        page = {
            "title": gettext("Recommendation to %(state)s") % {"state": rec.review.state.name},
            "content": render_to_string("recommendations/_detail_content.html", context),
        }
    if key:
        cache.set(key, page, seconds)
    return page


FACETS_SHOWN = 8  # values per facet in the list's sidebar; a link shows them all


def _facet_sidebar(facets: list, query: str, expanded: set[str]) -> str:
    """The facets' fieldsets: a checkbox per value, with its label and count.

    Built here rather than in a template: ~110 options per page cost ~7 ms of template
    rendering (10 nodes each) against ~0.3 ms as strings; every value is escaped. A facet
    with more values than shown links to the same list with all of them (`?more=theme`,
    kept by a hidden field while the form changes), which works without JavaScript.
    """
    counted, html = escape(gettext("recommendations")), []
    link = f"?{escape(query)}&amp;" if query else "?"
    for facet in facets:
        if not facet.values:
            continue
        name = facet.name
        html.append(
            f'<fieldset class="facet mb-3" id="facet-{name}">\n<legend class="h6">{escape(facet.label)}</legend>'
        )
        for i, item in enumerate(facet.values, 1):
            checked = " checked" if item.selected else ""
            html.append(
                f'<div class="form-check"><input class="form-check-input" type="checkbox" name="{name}" '
                f'value="{escape(item.value)}"\n id="f-{name}-{i}"{checked}>'
                f'<label class="form-check-label" for="f-{name}-{i}">{escape(item.label)} <span class="badge '
                f'text-bg-light">{item.count}<span class="visually-hidden"> {counted}</span></span></label></div>'
            )
        if facet.more:
            total = len(facet.values) + facet.more
            text = ngettext("Show all %(count)s value", "Show all %(count)s values", total) % {"count": total}
            html.append(f'<p class="small mb-0"><a href="{link}more={name}#facet-{name}">{escape(text)}</a></p>')
        if name in expanded:
            html.append(f'<input type="hidden" name="more" value="{name}">')
        html.append("</fieldset>")
    return mark_safe("\n".join(html))  # noqa: S308 - every value above is escaped


def _query_without(request: HttpRequest, *names: str) -> str:
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


def _csv_download(queryset) -> StreamingHttpResponse:
    response = StreamingHttpResponse(exports.csv_chunks(exports.export_rows(queryset)), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="recommendations.csv"'
    return response


def _xlsx_download(queryset) -> FileResponse:
    return FileResponse(
        exports.xlsx_file(exports.export_rows(queryset)),
        as_attachment=True,
        filename="recommendations.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


DOWNLOADS = {"csv": _csv_download, "xlsx": _xlsx_download}


# --- Responsible institutions: the secretariat assigns, focal points see theirs ---------------
# The public pages stay the same for everyone: the secretariat's forms are added around the
# cached content (`_detail_page`), never into it, and only for users who may assign.

ASSIGN = "recommendations.assign_responsibility"


def responsibility_controls(request: HttpRequest, code) -> dict:
    """The detail page's edit form, for those who may assign; nothing (and no query) for others."""
    if not can(request.user, ASSIGN):
        return {}
    rec = Recommendation.objects.filter(code=code).first()
    return {"responsibility_form": _responsibility_form(rec), "rec": rec} if rec else {}


def bulk_assign_controls(request: HttpRequest, valid: bool, query: str) -> dict:
    """The list page's "assign this result" form, for those who may assign and a valid result."""
    if not can(request.user, ASSIGN):
        return {}
    form = BulkAssignForm(initial={"query": query}, entities=government_entities()) if valid else None
    return {"can_assign": True, "bulk_assign_form": form}


def _responsibility_form(rec: Recommendation, data=None) -> ResponsibilityForm:
    rows = list(rec.responsibilities.select_related("organisation"))
    initial = {
        "lead": next((row.organisation.slug for row in rows if row.role == ResponsibilityRole.LEAD), None),
        "supporting": [row.organisation.slug for row in rows if row.role == ResponsibilityRole.SUPPORTING],
    }
    return ResponsibilityForm(data, initial=initial, entities=government_entities())


def _require_assigner(request: HttpRequest) -> None:
    # The recommendations are public, so a refusal is a 403 (not a 404).
    if not can(request.user, ASSIGN):
        raise PermissionDenied


@require_http_methods(["GET", "POST"])
def responsibility_edit(request: HttpRequest, code) -> HttpResponse:
    rec = get_object_or_404(Recommendation.objects.select_related("review__state"), code=code)
    _require_assigner(request)
    form = _responsibility_form(rec, request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            responsibility_set(
                recommendation=rec,
                lead=form.cleaned_data["lead"],
                supporting=form.cleaned_data["supporting"],
                by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, gettext("The responsible institutions are saved."))
            return redirect("recommendations:detail", code=rec.code)
    status = 400 if form.errors else 200
    return render(request, "recommendations/responsibilities_edit.html", {"rec": rec, "form": form}, status=status)


@require_POST
def responsibility_bulk_assign(request: HttpRequest) -> HttpResponse:
    """Two steps, both POSTs: review (shows how many recommendations match now), then confirm.

    The set is the list's FilterSet run again on the submitted query string; it is applied
    only if it still has the number of recommendations the officer confirmed.
    """
    _require_assigner(request)
    form = BulkAssignForm(request.POST, entities=government_entities())
    if not form.is_valid():
        return render(request, "recommendations/responsibilities_bulk.html", {"form": form}, status=400)
    params = QueryDict(form.cleaned_data["query"])
    filterset = recommendation_filterset(params)
    if not filterset.is_valid():
        return render(
            request, "recommendations/responsibilities_bulk.html", {"form": form, "filterset": filterset}, status=400
        )
    count = filterset.qs.count()
    confirming = "confirm" in request.POST
    if not confirming or form.cleaned_data["expected"] != count:
        context = {
            "form": form,
            "filterset": filterset,
            "count": count,
            "changed": confirming,
            "filters": filter_summary(filterset),
            "list_url": _list_url(params),
        }
        return render(request, "recommendations/responsibilities_bulk.html", context)
    outcome = responsibilities_bulk_assign(
        recommendations=filterset.qs,
        organisation=form.cleaned_data["organisation"],
        role=form.cleaned_data["role"],
        replace_lead=form.cleaned_data["replace_lead"],
        by=request.user,
    )
    messages.success(request, _bulk_message(outcome, form.cleaned_data["organisation"]))
    return redirect(_list_url(params))


def _list_url(params: QueryDict) -> str:
    params = params.copy()
    for name in ("page", "download"):
        params.pop(name, None)
    query = params.urlencode()
    return reverse("recommendations:list") + (f"?{query}" if query else "")


def _bulk_message(outcome, organisation) -> str:
    message = ngettext(
        "%(count)s recommendation assigned to %(name)s.",
        "%(count)s recommendations assigned to %(name)s.",
        outcome.assigned,
    ) % {"count": outcome.assigned, "name": organisation.name}
    if outcome.unchanged:
        message += " " + gettext("%(count)s already were.") % {"count": outcome.unchanged}
    if outcome.skipped:
        message += " " + gettext("%(count)s skipped: another institution leads them.") % {"count": outcome.skipped}
    if outcome.demoted:
        message += " " + gettext("%(count)s former leads are now supporting.") % {"count": outcome.demoted}
    return message


@require_GET
@login_required
def assigned_list(request: HttpRequest) -> HttpResponse:
    """The recommendations assigned to the institution the user acts for (government entities).

    Anyone else signed in gets the page with an explanation and no list (200), not a 404:
    the address is the same for everyone and hides nothing.
    """
    if not can(request.user, "recommendations.view_assigned"):
        return render(request, "recommendations/assigned.html", {"allowed": False})
    form = AssignedFilterForm(request.GET)
    chosen = form.cleaned_data if form.is_valid() else {}
    rows = assignments_for_organisation(
        request.membership.organisation, role=chosen.get("role", ""), status=chosen.get("status", "")
    )
    context = {
        "allowed": True,
        "organisation": request.membership.organisation,
        "form": form,
        "page": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")),
        "query": _query_without(request, "page"),
    }
    return render(request, "recommendations/assigned.html", context)
