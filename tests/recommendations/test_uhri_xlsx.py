"""The UHRI "Export to Excel" reader: the committed sample and hand-built broken files."""

from __future__ import annotations

import datetime
from collections import Counter
from pathlib import Path

import docx
import openpyxl
import pytest

from recommendations.importers.base import Draft, ImportFileError, ReviewRef, RowError
from recommendations.importers.uhri_xlsx import read_uhri_xlsx

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "uhri" / "uhri_sample.xlsx"

HEADER = [
    "Text",
    "Countries Concerned",
    "Reccomending Body",
    "Type",
    "Document Symbol",
    "Document Publication Date",
    "Sdgs",
    "UPR Session",
    "UPR Reccomending States",
    "UPR Position",
    "OHCHR Annotation Id",
]
ID_1 = "b4288060-6633-478d-9a9a-df1978d336c3"
ID_2 = "0f8d5b0e-3c7a-4f43-9a55-6a4c8e2d1b01"
ID_3 = "7c1e0a52-96f1-4b8e-8d0c-2b6f3a9e4c12"


def row(
    *,
    text: str = "140.7 Ratify the OP-ICESCR (Portugal);",
    annotation_id: str = ID_1,
    session: str | None = "- 48 Session",
    **overrides: object,
) -> list[object]:
    """One export row (in HEADER order); `overrides` replace cells by header name."""
    values = {
        "Text": text,
        "Countries Concerned": "- Slovenia",
        "Reccomending Body": "- UPR",
        "Type": "- Recommendations",
        "Document Symbol": "A/HRC/59/15",
        "Document Publication Date": 45754,  # 7 April 2025
        "Sdgs": None,
        "UPR Session": session,
        "UPR Reccomending States": "- Portugal",
        "UPR Position": "- Supported",
        "OHCHR Annotation Id": annotation_id,
    } | overrides
    return [values[name] for name in HEADER]


def write_xlsx(path: Path, rows: list[list[object]], header: list[str] = HEADER, above: int = 0) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for _ in range(above):
        sheet.append(["UHRI export"])
    sheet.append(header)
    for values in rows:
        sheet.append(values)
    workbook.save(path)
    return path


@pytest.fixture(scope="module")
def sample():
    return read_uhri_xlsx(SAMPLE)


def test_sample_is_read_without_errors(sample):
    assert sample.rows == 12
    assert len(sample.drafts) == 12
    assert sample.errors == []


def test_sample_counts_by_mechanism_and_position(sample):
    mechanisms = Counter(draft.review.mechanism for draft in sample.drafts)
    positions = Counter(draft.position for draft in sample.drafts if draft.review.mechanism == "UPR")
    assert mechanisms == {"UPR": 8, "CRC": 1, "CEDAW": 1, "CCPR": 1, "Special Procedures": 1}
    assert positions == {"Supported": 5, "Noted": 3}
    assert {draft.review.session for draft in sample.drafts if draft.review.mechanism == "UPR"} == {48}


def test_upr_row_is_read_exactly(sample):
    assert sample.drafts[0] == Draft(
        row=2,
        review=ReviewRef(
            mechanism="UPR",
            state="Slovenia",
            session=48,
            symbol="",
            date=datetime.date(2025, 4, 7),
            document_symbols=["A/HRC/59/15"],
        ),
        text="Ratify the Optional Protocol to the International Covenant on Economic, Social and Cultural Rights",
        paragraph="140.7",
        recommending_states=["Maldives", "Portugal"],
        position="Supported",
        theme_vocabulary="uhri",
        themes=[
            ("", "Ratification of & accession to international instruments"),
            ("", "Economic, social & cultural rights - general measures of implementation"),
        ],
        affected_groups=["Public officials"],
        sdg_goals=[1, 2, 3, 4, 5, 6, 7, 8],
        sdg_targets=[],
        external_id="14116c95-9ff7-54c0-9f94-6f3672d93f2c",
        annotation_type="Recommendations",
    )


def test_treaty_body_row_is_read_exactly(sample):
    # The text keeps its heading and paragraph number as published; only spaces collapse.
    assert sample.drafts[8] == Draft(
        row=10,
        review=ReviewRef(
            mechanism="CRC",
            state="Slovenia",
            session=None,
            symbol="CRC/C/SVN/CO/5-6",
            date=datetime.date(2025, 2, 21),
            document_symbols=["CRC/C/SVN/CO/5-6"],
        ),
        text=(
            "Children belonging to minority groups\n"
            "39. The Committee recommends that the State party:\n"
            "(a) Ensure that Roma children living in informal settlements have access to safe drinking water, "
            "sanitation and electricity;\n"
            "(b) Strengthen measures to increase the enrolment and completion rates of Roma children in "
            "preschool, primary and secondary education."
        ),
        paragraph="",
        recommending_states=[],
        position="",
        themes=[
            ("", "Children: definition; general principles; protection"),
            ("", "Members of minorities"),
            ("", "Right to education"),
        ],
        affected_groups=["Children", "Roma"],
        sdg_goals=[4, 6],
        sdg_targets=[
            ("4.1", "Free primary and secondary education"),
            ("4.5", "Eliminate all discrimination in education"),
            ("6.1", "Safe and affordable drinking water"),
        ],
        external_id="69de5803-2904-56c0-9151-6d568ad17e99",
        annotation_type="Recommendations",
    )


def test_sponsors_in_report_word_order_are_stripped(sample):
    draft = next(d for d in sample.drafts if d.paragraph == "140.1")
    assert draft.text == (
        "Ratify the International Convention on the Protection of the Rights of All Migrant Workers "
        "and Members of Their Families"
    )
    assert draft.recommending_states[-1] == "Venezuela (Bolivarian Republic of)"


def test_treaty_body_paragraph_is_taken_only_at_the_very_start(sample):
    by_mechanism = {draft.review.mechanism: draft for draft in sample.drafts}
    assert by_mechanism["CCPR"].paragraph == "12"
    assert by_mechanism["CCPR"].text.startswith("12. The State party should")
    assert by_mechanism["CEDAW"].paragraph == ""  # "Rural women 32.The Committee …"


def test_sdg_targets_add_their_goals(sample):
    by_mechanism = {draft.review.mechanism: draft for draft in sample.drafts}
    assert by_mechanism["CEDAW"].sdg_targets == [
        ("1.4", "Equal rights to economic resources"),
        ("5.a", "Equal rights to economic resources"),
    ]
    assert by_mechanism["CEDAW"].sdg_goals == [1, 5]
    assert by_mechanism["CCPR"].sdg_targets == [("16.9", "Provide legal identity for all")]
    assert by_mechanism["CCPR"].sdg_goals == [16, 10]


def test_special_procedure_row_with_several_countries(sample):
    draft = sample.drafts[-1]
    assert draft.review.mechanism == "Special Procedures"
    assert draft.review.state == "Slovenia"
    assert sample.warnings == ["row 13: several countries concerned; importing for Slovenia, not for Croatia"]


def test_mandate_without_special_procedures_line_is_a_special_procedure(tmp_path):
    path = write_xlsx(tmp_path / "sp.xlsx", [row(**{"Reccomending Body": "- IE on human rights and older persons"})])
    assert read_uhri_xlsx(path).drafts[0].review.mechanism == "Special Procedures"


def test_missing_column_is_named(tmp_path):
    header = [name for name in HEADER if name != "Countries Concerned"]
    path = write_xlsx(tmp_path / "export.xlsx", [], header=header)
    with pytest.raises(ImportFileError, match=r"export\.xlsx.*'Countries Concerned'"):
        read_uhri_xlsx(path)


def test_missing_text_and_id_columns_are_named(tmp_path):
    header = [name for name in HEADER if name not in {"Text", "OHCHR Annotation Id"}]
    path = write_xlsx(tmp_path / "export.xlsx", [], header=header)
    with pytest.raises(ImportFileError, match=r"'Text', 'OHCHR Annotation Id'"):
        read_uhri_xlsx(path)


def test_correct_spelling_loose_case_and_header_below_a_title(tmp_path):
    header = [
        {"Reccomending Body": "Recommending Body", "UPR Reccomending States": "upr  recommending STATES"}.get(n, n)
        for n in HEADER
    ]
    path = write_xlsx(tmp_path / "export.xlsx", [row()], header=header, above=2)
    result = read_uhri_xlsx(path)
    assert result.errors == []
    [draft] = result.drafts
    assert (draft.row, draft.review.mechanism, draft.recommending_states) == (4, "UPR", ["Portugal"])
    assert (draft.paragraph, draft.text) == ("140.7", "Ratify the OP-ICESCR")


def test_row_errors_are_all_reported_with_their_row(tmp_path):
    rows = [
        row(annotation_id="not-a-uuid"),
        row(text="   ", annotation_id=ID_2),
        row(annotation_id=ID_3),
        [None] * len(HEADER),  # blank row: skipped, not counted
        row(annotation_id=ID_3.upper()),
        row(annotation_id=ID_1, session="- abc Session"),
    ]
    result = read_uhri_xlsx(write_xlsx(tmp_path / "export.xlsx", rows))
    assert result.rows == 5
    assert [(error.row, error.column) for error in result.errors] == [
        (2, "OHCHR Annotation Id"),
        (3, "Text"),
        (6, "OHCHR Annotation Id"),
        (7, "UPR Session"),
    ]
    assert "not a UUID" in result.errors[0].message
    assert "first used on row 4" in result.errors[2].message
    assert result.errors[3] == RowError(
        7, "UPR Session", "- abc Session", "the UPR session is not a number (expected e.g. '- 48 Session')"
    )
    assert [draft.row for draft in result.drafts] == [4]
    assert result.drafts[0].external_id == ID_3


def test_empty_country_and_bad_date_are_row_errors(tmp_path):
    rows = [
        row(**{"Countries Concerned": None}),
        row(annotation_id=ID_2, **{"Document Publication Date": "24 February"}),
    ]
    result = read_uhri_xlsx(write_xlsx(tmp_path / "export.xlsx", rows))
    assert [(error.row, error.column) for error in result.errors] == [
        (2, "Countries Concerned"),
        (3, "Document Publication Date"),
    ]
    assert result.drafts == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (46078, datetime.date(2026, 2, 25)),
        ("46078", datetime.date(2026, 2, 25)),
        (datetime.datetime(2025, 4, 7, 0, 0), datetime.date(2025, 4, 7)),
        ("2025-04-07", datetime.date(2025, 4, 7)),
        (None, None),
    ],
)
def test_publication_date_forms(tmp_path, value, expected):
    path = write_xlsx(tmp_path / "export.xlsx", [row(**{"Document Publication Date": value})])
    assert read_uhri_xlsx(path).drafts[0].review.date == expected


def test_non_upr_row_uses_document_symbol(tmp_path):
    values = row(
        text="49.The Committee recommends that the State party adopt a strategy.",
        session=None,
        **{"Reccomending Body": "- CESCR", "Document Symbol": "E/C.12/SVN/CO/3", "UPR Position": None},
    )
    [draft] = read_uhri_xlsx(write_xlsx(tmp_path / "export.xlsx", [values])).drafts
    assert draft.review == ReviewRef(
        "CESCR", "Slovenia", None, "E/C.12/SVN/CO/3", datetime.date(2025, 4, 7), ["E/C.12/SVN/CO/3"]
    )
    assert (draft.paragraph, draft.position, draft.recommending_states) == ("49", "", [])


def test_sponsor_bracket_is_kept_when_it_names_other_states(tmp_path):
    values = row(text="140.9 Ratify the Convention (ICRMW) (Spain)")
    [draft] = read_uhri_xlsx(write_xlsx(tmp_path / "export.xlsx", [values])).drafts
    assert draft.text == "Ratify the Convention (ICRMW) (Spain)"


def test_comma_separated_sponsors_in_one_bracket_are_stripped(tmp_path):
    values = row(
        text="5.1 Ratify the Convention (ICRMW) (Portugal, Iran (Islamic Republic of))",
        **{"UPR Reccomending States": "- Iran (Islamic Republic of)\n- Portugal"},
    )
    [draft] = read_uhri_xlsx(write_xlsx(tmp_path / "export.xlsx", [values])).drafts
    assert draft.text == "Ratify the Convention (ICRMW)"


def _docx(path: Path) -> Path:
    document = docx.Document()
    document.add_paragraph("140.7 Ratify the Optional Protocol (Maldives) (Portugal);")
    document.save(path)
    return path


@pytest.mark.parametrize(
    "make",
    [
        lambda tmp: _write_bytes(tmp / "export.csv", b"Text,OHCHR Annotation Id\nRatify,b4288060\n"),
        lambda tmp: _write_bytes(tmp / "export.xlsx", b"Text,OHCHR Annotation Id\nRatify,b4288060\n"),
        lambda tmp: _docx(tmp / "list.docx"),
        lambda tmp: _docx(tmp / "renamed.xlsx"),
        lambda tmp: _write_bytes(tmp / "garbage.xlsx", bytes(range(256)) * 4),
    ],
    ids=["csv", "csv-renamed", "docx", "docx-renamed", "garbage"],
)
def test_files_that_are_not_xlsx_are_rejected(tmp_path, make):
    path = make(tmp_path)
    with pytest.raises(ImportFileError, match=rf"{path.name} is not an Excel \.xlsx workbook"):
        read_uhri_xlsx(path)


def _write_bytes(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path
