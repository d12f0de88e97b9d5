"""Public pages of the recommendations app: the recommendation browser and the States."""

from django.conf import settings
from django.core.cache import cache
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from recommendations import charts, exports, stats
from recommendations.filters import RecommendationFilterSet
from recommendations.models import Recommendation, ThemeVocabulary
from recommendations.selectors import (
    facet_counts,
    recommendation_filterset,
    recommendation_page,
    recommendation_with_related,
    result_count,
)
from recommendations.vocabulary import data_version
from stakeholders.models import State


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
    facets = facet_counts(filterset) if valid else []
    count = result_count(filterset, facets) if valid else None  # from the facets: no COUNT query
    context = {
        "filterset": filterset,
        "page": recommendation_page(filterset, request.GET.get("page"), count=count) if valid else None,
        "facets": facets,
        "query": _query_without(request, "page", "download"),
        "ordering_choices": ORDERING_CHOICES,
        "ordering": request.GET.get("ordering", ""),
    }
    return render(request, "recommendations/list.html", context, status=200 if valid else 400)


@require_GET
def recommendation_detail(request: HttpRequest, code) -> HttpResponse:
    page = _detail_page(code)
    if "moved_to" in page:  # absorbed into a UN paragraph: its old address keeps working
        return redirect("recommendations:detail", code=page["moved_to"], permanent=True)
    if "content" not in page:
        raise Http404
    return render(request, "recommendations/detail.html", {"title": page["title"], "content": page["content"]})


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
    rec, moved, related = recommendation_with_related(code, version=version)
    if rec is None:
        page = {}
    elif moved:
        page = {"moved_to": str(rec.code)}
    else:
        themes = list(rec.themes.all())
        context = {
            "rec": rec,
            "uhri_themes": [theme for theme in themes if theme.vocabulary == ThemeVocabulary.UHRI],
            "upr_info_issues": [theme for theme in themes if theme.vocabulary == ThemeVocabulary.UPR_INFO],
            "related": related,
        }
        page = {
            "title": gettext("Recommendation to %(state)s") % {"state": rec.review.state.name},
            "content": render_to_string("recommendations/_detail_content.html", context),
        }
    if key:
        cache.set(key, page, seconds)
    return page


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
