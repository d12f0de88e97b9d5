"""Public pages of the recommendations app: the recommendation browser and the States."""

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
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
    rec, moved, related = recommendation_with_related(code)
    if rec is None:
        raise Http404
    if moved:  # absorbed into a UN paragraph: its old address keeps working
        return redirect("recommendations:detail", code=rec.code, permanent=True)
    themes = list(rec.themes.all())
    context = {
        "rec": rec,
        "uhri_themes": [theme for theme in themes if theme.vocabulary == ThemeVocabulary.UHRI],
        "upr_info_issues": [theme for theme in themes if theme.vocabulary == ThemeVocabulary.UPR_INFO],
        "related": related,
    }
    return render(request, "recommendations/detail.html", context)


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
