"""The UPR Info CSV/XLS readers, on the real export files (no database needed)."""

from pathlib import Path

import pytest

from recommendations.importers.base import Draft, ImportFileError, ReviewRef, RowError
from recommendations.importers.upr_info import read_upr_info_csv, read_upr_info_xls

DATA = Path(__file__).resolve().parent.parent / "data"
SAMPLE = DATA / "upr_info" / "upr_info_sample_5_states.csv"
VOLUNTARY_CSV = DATA / "upr_info" / "voluntary.csv"
VOLUNTARY_XLS = DATA / "upr_info" / "voluntary.xls"
HEADER = "To,To-Rgrp,To-Org,Text,From,From-Rgrp,From-Org,Response,Action,Issue,Session"


def write_csv(tmp_path: Path, *lines: str, encoding: str = "mac_roman") -> Path:
    path = tmp_path / "export.csv"
    path.write_bytes("\r".join([HEADER, *lines]).encode(encoding))
    return path


def test_the_sample_has_classic_mac_line_endings_and_mac_roman_bytes():
    raw = SAMPLE.read_bytes()

    assert b"\n" not in raw
    assert raw.count(b"\r") == 1659
    assert "vis-\x88-vis".encode("latin-1") in raw  # 0x88 is "à" in Mac Roman


def test_csv_reader_reads_every_row_of_the_sample():
    result = read_upr_info_csv(SAMPLE)

    assert result.rows == 1659
    assert len(result.drafts) == 1659
    assert result.errors == []
    assert result.drafts[0] == Draft(
        row=2,
        review=ReviewRef(mechanism="upr", state="China", session=4),
        text="Ratify the ICCPR",
        recommending_states=["Austria"],
        position="Accepted",
        action_category=5,
        theme_vocabulary="upr-info",
        themes=[("", "CP rights - general"), ("", "International instruments")],
    )


def test_csv_reader_decodes_mac_roman_and_normalises_whitespace():
    drafts = read_upr_info_csv(SAMPLE).drafts

    by_row = {draft.row: draft for draft in drafts}
    assert by_row[642].text.startswith("Along with the Special Procedures, investigate allegations")
    assert "vis-à-vis detainees" in by_row[642].text
    assert by_row[642].text.endswith("Human Rights Council and its mechanisms")  # trailing space gone
    assert by_row[635].text.startswith(
        "Put in practice a national strategy to eliminate discrimination against caste, through"
    )


def test_csv_and_xls_exports_of_the_same_data_give_the_same_drafts():
    from_csv = read_upr_info_csv(VOLUNTARY_CSV)
    from_xls = read_upr_info_xls(VOLUNTARY_XLS)

    assert from_csv.rows == from_xls.rows == 947
    assert from_csv.errors == from_xls.errors == []
    assert [d.review for d in from_csv.drafts] == [d.review for d in from_xls.drafts]
    assert [d.text for d in from_csv.drafts] == [d.text for d in from_xls.drafts]
    assert [d.recommending_states for d in from_csv.drafts] == [d.recommending_states for d in from_xls.drafts]
    assert [d.action_category for d in from_csv.drafts] == [d.action_category for d in from_xls.drafts]
    assert [d.themes for d in from_csv.drafts] == [d.themes for d in from_xls.drafts]
    assert {d.position for d in from_xls.drafts} == {"Voluntary Pledge"}


def test_unknown_recommending_state_literal_means_none_recorded(tmp_path):
    path = write_csv(
        tmp_path, 'Indonesia,Asia,,"Ratify the OP-CAT",&#40;Unknown&#41;,&#40;Unknown&#41;,,Accepted,5,Torture,1'
    )

    [draft] = read_upr_info_csv(path).drafts

    assert draft.recommending_states == []
    assert draft.review == ReviewRef(mechanism="upr", state="Indonesia", session=1)


def test_utf8_conversions_are_read_too(tmp_path):
    path = write_csv(
        tmp_path, 'France,WEOG,EU,"Renforcer l’égalité",Côte d’Ivoire,Africa,,Accepted,4,General,3', encoding="utf-8"
    )

    [draft] = read_upr_info_csv(path).drafts

    assert draft.text == "Renforcer l’égalité"
    assert draft.recommending_states == ["Côte d’Ivoire"]


def test_every_bad_row_is_reported_with_its_row_and_value(tmp_path):
    path = write_csv(
        tmp_path,
        'Chile,GRULAC,,"Ratify CED",France,WEOG,,Accepted,5,General,5',
        'Chile,GRULAC,,"",France,WEOG,,Accepted,5,General,5',
        'Chile,GRULAC,,"Adopt a law",France,WEOG,,Accepted,7,General,5',
        'Chile,GRULAC,,"Adopt a law",France,WEOG,,Accepted,5,General,five',
    )

    result = read_upr_info_csv(path)

    assert result.rows == 4
    assert [draft.row for draft in result.drafts] == [2]
    assert result.errors == [
        RowError(3, "Text", "", "a value is required"),
        RowError(4, "Action", "7", "expected a whole number from 1 to 5"),
        RowError(5, "Session", "five", "expected a whole number from 1 to 99"),
    ]


def test_missing_columns_are_named(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("State,Recommendation\nChile,Ratify CED\n")

    with pytest.raises(
        ImportFileError, match=r"missing column\(s\) To, From, Response, Session \(found: State, Recommendation\)"
    ):
        read_upr_info_csv(path)


def test_a_word_document_is_not_a_csv_export():
    with pytest.raises(ImportFileError, match="not a UPR Info CSV export"):
        read_upr_info_csv(DATA / "ohchr" / "Matrix_recommendations_2013.docx")


def test_a_csv_file_is_not_an_xls_export():
    with pytest.raises(ImportFileError, match=r"not an Excel 97-2003 \(\.xls\) workbook"):
        read_upr_info_xls(SAMPLE)
