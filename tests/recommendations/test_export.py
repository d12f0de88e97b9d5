"""The UPR Portal export: columns, filters, formula guard, query counts, and the round trip
through `import_recommendations` (docs/export-format.md).

The data are the committed samples: UPR Info's five-State CSV, and, where their readers
exist, the OHCHR thematic list for China 2013 and the UHRI sample.
"""

from __future__ import annotations

import csv
import datetime
import importlib.util
import io
import math
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from recommendations.exports import COLUMNS, export_rows, neutralise, restore
from recommendations.importers.base import ImportFileError, RowError
from recommendations.importers.portal import read_portal_csv
from recommendations.models import Recommendation, SdgGoal, SdgTarget, StatusSource, Theme
from recommendations.services import recommendation_set_status, recommendations_import

DATA = Path(__file__).resolve().parents[1] / "data"
UPR_INFO_SAMPLE = DATA / "upr_info" / "upr_info_sample_5_states.csv"
OHCHR_CHINA_2013 = DATA / "ohchr" / "Matrix_recommendations_2013.docx"
UHRI_SAMPLE = DATA / "uhri" / "uhri_sample.xlsx"


def _has_reader(module: str, path: Path) -> bool:
    return importlib.util.find_spec(f"recommendations.importers.{module}") is not None and path.is_file()


HAS_OHCHR = _has_reader("ohchr_docx", OHCHR_CHINA_2013)
HAS_UHRI = _has_reader("uhri_xlsx", UHRI_SAMPLE)
needs_ohchr = pytest.mark.skipif(not HAS_OHCHR, reason="the OHCHR thematic list reader is not there yet")

HEADER = [
    "code",
    "state under review",
    "state iso3",
    "mechanism",
    "cycle",
    "session",
    "review symbol",
    "document symbols",
    "review date",
    "paragraph",
    "text",
    "recommending states",
    "position",
    "source of position",
    "action category",
    "annotation type",
    "themes",
    "upr info issues",
    "affected groups",
    "sdg goals",
    "sdg targets",
    "requires legislation",
    "status",
    "status date",
    "source",
    "external id",
]
HYPERLINK = '=HYPERLINK("https://example.org","click")'
DASHED = "- Continue its efforts to combat poverty"


def _import(path: Path) -> None:
    outcome = recommendations_import(path=path)
    assert outcome.ok, outcome.errors[:5]


def _set_status(rec: Recommendation, status: str, date: datetime.date) -> None:
    recommendation_set_status(recommendation=rec, status=status, effective_date=date, source=StatusSource.MANUAL)


def ratify_iccpr() -> Recommendation:
    """China, first cycle: a UPR Info recommendation no other source touches."""
    return Recommendation.objects.get(review__state__iso3="CHN", review__session=4, text="Ratify the ICCPR")


def china_186_19() -> Recommendation:
    """China 2013, paragraph 186.19: UPR Info's two texts merged into OHCHR's paragraph."""
    return Recommendation.objects.get(review__state__iso3="CHN", review__session=17, paragraph="186.19")


def mexico_first(offset: int) -> Recommendation:
    return Recommendation.objects.filter(review__state__iso3="MEX", review__session=4).order_by("id")[offset]


@pytest.fixture
def recommendations(db) -> None:
    """The samples imported, a few statuses set, and texts a spreadsheet would run."""
    _import(UPR_INFO_SAMPLE)
    if HAS_OHCHR:
        _import(OHCHR_CHINA_2013)
        rec = china_186_19()
        _set_status(rec, "in-progress", datetime.date(2016, 3, 1))
        # Columns no sample fills for China: set here so the spelled-out row shows them.
        Recommendation.objects.filter(pk=rec.pk).update(requires_legislation=True)
        rec.sdg_goals.add(SdgGoal.objects.get(number=16))
        rec.sdg_targets.add(SdgTarget.objects.get(number="16.3"))
    if HAS_UHRI:
        _import(UHRI_SAMPLE)
    _set_status(ratify_iccpr(), "partially-implemented", datetime.date(2012, 5, 1))
    _set_status(ratify_iccpr(), "fully-implemented", datetime.date(2014, 6, 30))
    _set_status(mexico_first(2), "not-started", datetime.date(2011, 1, 15))
    for offset, text in enumerate((HYPERLINK, DASHED, "@SUM(A1:A3)", "+1 more", "'quoted' in the source")):
        Recommendation.objects.filter(pk=mexico_first(offset).pk).update(text=text)


def export(tmp_path: Path, fmt: str = "csv", *options: str) -> Path:
    path = tmp_path / f"export.{fmt}"
    call_command("export_recommendations", "--format", fmt, "--output", str(path), *options, stderr=io.StringIO())
    return path


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def read_xlsx(source: Path | io.BytesIO) -> list[list]:
    book = openpyxl.load_workbook(source, read_only=True)
    rows = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    book.close()
    return rows


def row_of(rows: list[list], code) -> list:
    return next(row for row in rows if row[0] == str(code))


def dump() -> dict[str, tuple]:
    """Everything an export must carry, per recommendation code, in a comparable form."""
    recs = Recommendation.objects.select_related("review__state", "review__mechanism").prefetch_related(
        "recommending_states", "themes", "affected_groups", "sdg_goals", "sdg_targets"
    )
    return {str(rec.code): _canonical(rec) for rec in recs}


def _canonical(rec: Recommendation) -> tuple:
    review = rec.review
    return (
        (review.mechanism.code, review.state.iso3, review.cycle, review.session, review.symbol),
        (review.date, tuple(review.document_symbols)),
        (rec.paragraph, rec.text, rec.position, rec.position_source, rec.action_category, rec.annotation_type),
        sorted(state.iso3 for state in rec.recommending_states.all()),
        sorted((theme.vocabulary, theme.code, theme.name) for theme in rec.themes.all()),
        sorted(group.name for group in rec.affected_groups.all()),
        sorted(goal.number for goal in rec.sdg_goals.all()),
        sorted(target.number for target in rec.sdg_targets.all()),
        (rec.requires_legislation, rec.status, rec.status_date, rec.source, rec.external_id),
    )


def flush() -> None:
    """Empty the recommendation tables; StatusChange refuses DELETE, not TRUNCATE.

    The test's transaction holds deferred foreign key checks, which TRUNCATE refuses to
    leave pending: run them first."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "TRUNCATE recommendations_statuschange, recommendations_recommendationchange, "
            "recommendations_recommendation, recommendations_review, recommendations_theme, "
            "recommendations_affectedgroup CASCADE"
        )
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


# --- the file -------------------------------------------------------------------------------


def test_columns_are_the_documented_ones():
    assert list(COLUMNS) == HEADER
    documented = (Path(__file__).resolve().parents[2] / "docs" / "export-format.md").read_text()
    for column in HEADER:
        assert f"| `{column}` |" in documented


def test_csv_header_and_a_upr_info_row(recommendations, tmp_path):
    rows = read_csv(export(tmp_path))
    rec = ratify_iccpr()
    assert rows[0] == HEADER
    assert len(rows) == Recommendation.objects.count() + 1
    assert row_of(rows, rec.code) == [
        str(rec.code),
        "China",
        "CHN",
        "upr",
        "1",
        "4",
        "",
        "",
        "",
        "",
        "Ratify the ICCPR",
        "Austria",
        "supported",
        "",
        "5",
        "",
        "",
        "CP rights - general | International instruments",
        "",
        "",
        "",
        "no",
        "fully-implemented",
        "2014-06-30",
        "upr-info",
        "",
    ]


@needs_ohchr
def test_csv_row_of_a_paragraph_with_two_sources(recommendations, tmp_path):
    rec = china_186_19()
    assert row_of(read_csv(export(tmp_path)), rec.code) == [
        str(rec.code),
        "China",
        "CHN",
        "upr",
        "2",
        "17",
        "",
        "A/HRC/25/5; A/HRC/25/5/Add.1",
        "",
        "186.19",
        "Sign and ratify the OP-ICESCR and the OP-CRC-IC (Portugal); Sign the third OP-CRC -IC (Albania)",
        "Albania; Portugal",
        "noted",
        "A/HRC/25/5/Add.1 - Para. 186.19.",
        "5",
        "",
        "A12 Acceptance of international norms | B51 Right to an effective remedy | "
        "E1 Economic, social & cultural rights - general measures of implementation | "
        "F31 Children: definition; general principles; protection",
        "ESC rights - general | International instruments | Rights of the Child",
        "Children | General | Persons affected by armed conflict",
        "16",
        "16.3",
        "yes",
        "in-progress",
        "2016-03-01",
        "upr-info",
        "",
    ]


def test_xlsx_has_the_same_rows_with_numbers_as_numbers(recommendations, tmp_path):
    csv_rows = read_csv(export(tmp_path))
    xlsx_rows = read_xlsx(export(tmp_path, "xlsx"))
    assert xlsx_rows[0] == HEADER
    assert [["" if cell is None else str(cell) for cell in row] for row in xlsx_rows] == csv_rows
    row = row_of(xlsx_rows, ratify_iccpr().code)
    assert (row[4], row[5], row[14]) == (1, 4, 5)


def test_xlsx_and_csv_to_standard_output(recommendations, capsysbinary):
    call_command("export_recommendations", "--format", "xlsx", "--state", "GBR", "--session", "1")
    rows = read_xlsx(io.BytesIO(capsysbinary.readouterr().out))
    assert len(rows) == 1 + 30
    call_command("export_recommendations", "--state", "GBR", "--session", "1")
    out = capsysbinary.readouterr().out
    assert out.startswith(b"code,state under review,") and out.count(b"\r\n") == 1 + 30


def test_formula_cells_are_neutralised_in_the_files(recommendations, tmp_path):
    csv_text = export(tmp_path).read_bytes().decode("utf-8")
    assert "\r\n" + str(mexico_first(0).code) in csv_text
    assert ',"\'=HYPERLINK(""https://example.org"",""click"")",' in csv_text
    assert f",'{DASHED}," in csv_text
    cells = {row[0]: row[10] for row in read_xlsx(export(tmp_path, "xlsx"))}
    assert [cells[str(mexico_first(offset).code)] for offset in range(5)] == [
        "'" + HYPERLINK,
        "'" + DASHED,
        "'@SUM(A1:A3)",
        "'+1 more",
        "''quoted' in the source",
    ]


@pytest.mark.parametrize(
    "value", ["=1+2", "+1", "-", "- text", "@A1", "\tTab", "\rCR", "'", "''x", "plain", "", "a=b", "16.3"]
)
def test_neutralise_is_undone_by_restore(value):
    guarded = neutralise(value)
    assert not guarded.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert restore(guarded) == value


# --- filters ------------------------------------------------------------------------------


def test_state_filter_exports_exactly_that_state(recommendations, tmp_path):
    rows = read_csv(export(tmp_path, "csv", "--state", "CHN"))[1:]
    assert len(rows) == Recommendation.objects.filter(review__state__iso3="CHN").count()
    assert {row[2] for row in rows} == {"CHN"}


def test_filters_combine(recommendations, tmp_path):
    rows = read_csv(export(tmp_path, "csv", "--state", "chn", "--state", "MEX", "--mechanism", "upr", "--cycle", "1"))[
        1:
    ]
    expected = Recommendation.objects.filter(review__state__iso3__in=["CHN", "MEX"], review__cycle=1)
    assert sorted(row[0] for row in rows) == sorted(str(code) for code in expected.values_list("code", flat=True))
    rows = read_csv(export(tmp_path, "csv", "--status", "fully-implemented", "--position", "supported"))[1:]
    assert [row[0] for row in rows] == [str(ratify_iccpr().code)]
    rows = read_csv(export(tmp_path, "csv", "--session", "13", "--source", "upr-info"))[1:]
    assert len(rows) == Recommendation.objects.filter(review__session=13).count() > 0


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--state", "XXX", "--state: unknown state 'XXX'"),
        ("--mechanism", "upr-info", "--mechanism: unknown mechanism 'upr-info'"),
        ("--position", "accepted", "--position: unknown position 'accepted'"),
        ("--status", "done", "--status: unknown status 'done'"),
        ("--source", "web", "--source: unknown source 'web'"),
    ],
)
def test_unknown_filter_values_are_refused(db, tmp_path, option, value, message):
    with pytest.raises(CommandError, match=message):
        export(tmp_path, "csv", option, value)
    assert not (tmp_path / "export.csv").exists()


def test_a_name_containing_its_separator_is_refused(db, tmp_path):
    _import(UPR_INFO_SAMPLE)
    ratify_iccpr().themes.add(Theme.objects.create(vocabulary="upr-info", name="Women | Girls"))
    with pytest.raises(CommandError, match=r"^cannot export 'Women \| Girls': it contains the list separator '\|'$"):
        export(tmp_path)
    assert not (tmp_path / "export.csv").exists()


# --- round trip -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_round_trip_into_an_empty_database(recommendations, tmp_path, fmt):
    before = dump()
    path = export(tmp_path, fmt)
    flush()
    assert not Recommendation.objects.exists()
    outcome = recommendations_import(path=path)
    assert outcome.ok, outcome.errors[:5]
    assert (outcome.format, outcome.created, outcome.updated) == (f"portal-{fmt}", len(before), 0)
    assert dump() == before
    assert [mexico_first(offset).text for offset in range(2)] == [HYPERLINK, DASHED]


def test_reimport_into_the_same_database_changes_nothing(recommendations, tmp_path):
    before = dump()
    outcome = recommendations_import(path=export(tmp_path))
    assert outcome.ok, outcome.errors[:5]
    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 0, len(before))
    assert dump() == before


# --- reading a broken export ------------------------------------------------------------------

CODE = "0f8fad5b-d9cb-469f-a165-70867728950e"


def write_csv(path: Path, rows: list[dict[str, str]], header: list[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        good = {"code": CODE, "state iso3": "CHN", "mechanism": "upr", "session": "17", "text": "Ratify the ICCPR"}
        writer.writerows([(good | row).get(column, "") for column in header] for row in rows)
    return path


def test_bad_rows_are_all_reported_with_their_row_numbers(tmp_path):
    path = write_csv(
        tmp_path / "bad.csv",
        [
            {"code": "not-a-uuid"},
            {"code": "", "session": "17th"},
            {"code": "", "position": "accepted", "status": "done"},
            {"code": "", "review date": "2014-13-01", "requires legislation": "maybe"},
            {"code": "", "action category": "6", "sdg goals": "16; x"},
            {},
            {},
        ],
    )
    result = read_portal_csv(path)
    assert result.rows == 7
    assert [str(error) for error in result.errors] == [
        str(error)
        for error in [
            RowError(2, "code", "not-a-uuid", "not a UUID (e.g. 0f8fad5b-d9cb-469f-a165-70867728950e)"),
            RowError(3, "session", "17th", "expected a whole number from 1 to 999"),
            RowError(4, "position", "accepted", f"unknown value (expected one of: {POSITIONS})"),
            RowError(4, "status", "done", f"unknown value (expected one of: {STATUSES})"),
            RowError(5, "review date", "2014-13-01", "expected a date as YYYY-MM-DD"),
            RowError(5, "requires legislation", "maybe", "expected yes or no"),
            RowError(6, "action category", "6", "expected a whole number from 1 to 5"),
            RowError(6, "sdg goals", "x", "expected SDG goal numbers separated by ';'"),
            RowError(8, "code", CODE, "the same code is on row 7"),
        ]
    ]
    assert [draft.row for draft in result.drafts] == [7]


POSITIONS = "supported, supported-in-part, noted, pending, voluntary-pledge"
STATUSES = "not-reported, not-started, in-progress, partially-implemented, fully-implemented, no-longer-applicable"


def test_a_bad_export_imports_nothing(db, tmp_path):
    path = write_csv(tmp_path / "bad.csv", [{"code": ""}, {"code": "", "text": "", "session": "0"}])
    outcome = recommendations_import(path=path)
    assert [str(error) for error in outcome.errors] == [
        "row 3, column 'session', value '0': expected a whole number from 1 to 999",
        "row 3, column 'text': a value is required",
    ]
    assert not Recommendation.objects.exists()


def test_missing_columns_are_named(tmp_path):
    header = [column for column in HEADER if column not in ("session", "state iso3", "state under review")]
    with pytest.raises(ImportFileError, match=r"missing column\(s\) session, state iso3 or state under review$"):
        read_portal_csv(write_csv(tmp_path / "short.csv", [{}], header=header))


def test_a_row_reads_back_into_a_draft(tmp_path):
    path = write_csv(
        tmp_path / "one.csv",
        [
            {
                "code": CODE.upper(),
                "themes": "A12 Acceptance of international norms | Right to health",
                "upr info issues": "CP rights - general | Justice",
                "affected groups": "Children | Girls",
                "document symbols": "A/HRC/25/5; A/HRC/25/5/Add.1",
                "recommending states": "Albania; Côte d’Ivoire",
                "review date": "2013-10-22",
                "sdg goals": "16",
                "sdg targets": "16.3; 16.a",
                "requires legislation": "yes",
                "status": "in-progress",
                "status date": "2016-03-01",
                "source": "ohchr-list",
                "text": "'- Continue its efforts",
            }
        ],
    )
    draft = read_portal_csv(path).drafts[0]
    assert draft.code == CODE
    assert (draft.review.mechanism, draft.review.state, draft.review.session) == ("upr", "CHN", 17)
    assert draft.review.document_symbols == ["A/HRC/25/5", "A/HRC/25/5/Add.1"]
    assert draft.review.date == datetime.date(2013, 10, 22)
    assert draft.text == "- Continue its efforts"
    assert draft.recommending_states == ["Albania", "Côte d’Ivoire"]
    assert (draft.theme_vocabulary, draft.themes) == (
        "uhri",
        [("A12", "Acceptance of international norms"), ("", "Right to health")],
    )
    assert draft.tagged_themes == [("upr-info", "", "CP rights - general"), ("upr-info", "", "Justice")]
    assert draft.affected_groups == ["Children", "Girls"]
    assert (draft.sdg_goals, draft.sdg_targets) == ([16], [("16.3", ""), ("16.a", "")])
    assert (draft.requires_legislation, draft.status, draft.status_date, draft.source) == (
        True,
        "in-progress",
        datetime.date(2016, 3, 1),
        "ohchr-list",
    )


# --- queries ----------------------------------------------------------------------------------


def _queries(callable_) -> int:
    with CaptureQueriesContext(connection) as context:
        callable_()
    return len(context)


def test_export_queries_do_not_grow_with_the_rows(recommendations, tmp_path):
    assert Recommendation.objects.filter(review__state__iso3="GBR", review__session=1).count() == 30
    five_states = [option for iso3 in ("CHN", "GBR", "MEX", "NGA", "RUS") for option in ("--state", iso3)]
    small = _queries(lambda: export(tmp_path, "csv", "--state", "GBR", "--session", "1"))
    large = _queries(lambda: export(tmp_path, "csv", *five_states))
    assert small == large
    small = _queries(lambda: export(tmp_path, "xlsx", "--session", "1"))
    everything = _queries(lambda: export(tmp_path, "xlsx"))
    assert small == everything


def test_export_queries_per_chunk(recommendations):
    total = Recommendation.objects.count()
    chunk_size = 500
    count = _queries(lambda: sum(1 for _ in export_rows(Recommendation.objects.all(), chunk_size=chunk_size)))
    # One cursor of ids, then for each chunk its rows and one query per many-to-many relation.
    assert count == 1 + 6 * math.ceil(total / chunk_size)
