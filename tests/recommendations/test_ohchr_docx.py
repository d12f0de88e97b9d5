"""OHCHR "Thematic list of recommendations" reader: the cycle-2, -3 and -4 layouts, and errors.

The expected values were read off the published documents in `tests/data/ohchr/` (see
`tests/data/README.md`); the error cases use small documents written here with python-docx.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import docx
import pytest

from recommendations.importers.base import ImportFileError, ParseResult
from recommendations.importers.ohchr_docx import read_ohchr_docx

DATA = Path(__file__).resolve().parent.parent / "data" / "ohchr"
CHINA_2013 = DATA / "Matrix_recommendations_2013.docx"
SLOVENIA_2019 = DATA / "UPR34_Slovenia_Thematic_list_of_Recommendations.docx"
SLOVENIA_2025 = DATA / "upr48-slovenia-thematic-list-of-recommendatio.docx"

CYCLE_2_HEADERS = [
    "Recommendation",
    "Position",
    "Full list of themes",
    "Assessment/comments on level of implementation",
]

CHINA_2013_STATES = frozenset(
    [
        "Afghanistan",
        "Albania",
        "Algeria",
        "Angola",
        "Argentina",
        "Australia",
        "Austria",
        "Azerbaijan",
        "Bahrain",
        "Bangladesh",
        "Belarus",
        "Belgium",
        "Benin",
        "Bhutan",
        "Bolivia (Plurinational S tate of)",
        "Bolivia (Plurinational State of)",
        "Botswana",
        "Brazil",
        "Brunei Darussalam",
        "Bulgaria",
        "Burundi",
        "Cambodia",
        "Canada",
        "Cape Verde",
        "Central African Republic",
        "Chad",
        "Chile",
        "Comoros",
        "Congo",
        "Costa Rica",
        "Cuba",
        "Cyprus",
        "Czech Republic",
        "Côte d’Ivoire",
        "Democratic People’s Republic of Korea",
        "Democratic Republic of the Congo",
        "Denmark",
        "Djibouti",
        "Ecuador",
        "Egypt",
        "Eritrea",
        "Estonia",
        "Ethiopia",
        "Finland",
        "France",
        "Gabon",
        "Germany",
        "Ghana",
        "Guatemala",
        "Hungary",
        "Iceland",
        "India",
        "Indonesia",
        "Iran (Islamic Republic of)",
        "Iraq",
        "Ireland",
        "Italy",
        "Japan",
        "Jordan",
        "Kenya",
        "Kuwait",
        "Kyrgyzstan",
        "Latvia",
        "Lebanon",
        "Lesotho",
        "Malaysia",
        "Maldives",
        "Mali",
        "Mauritius",
        "Mexico",
        "Mongolia",
        "Morocco",
        "Mozambique",
        "Myanmar",
        "Namibia",
        "Nepal",
        "Netherlands",
        "New Zealand",
        "Niger",
        "Nigeria",
        "Norway",
        "Oman",
        "Pakistan",
        "Poland",
        "Portugal",
        "Qatar",
        "Republic of Korea",
        "Republic of Moldova",
        "Romania",
        "Russian Federation",
        "Rwanda",
        "Saudi Arabia",
        "Senegal",
        "Serbia",
        "Seychelles",
        "Sierra Le one",
        "Sierra Leone",
        "Singapore",
        "Slovakia",
        "Slovenia",
        "South Africa",
        "South Sudan",
        "Spain",
        "Sri Lanka",
        "State of Palestine",
        "Sudan",
        "Sweden",
        "Switzerland",
        "Syrian Arab Republic",
        "Tajikistan",
        "Thailand",
        "Timor-Leste",
        "Togo",
        "Tunisia",
        "Turkmenistan",
        "Uganda",
        "Ukraine",
        "United Arab Emirates",
        "United Kingdom of Great Britain and Northern Ireland",
        "United States of America",
        "Uruguay",
        "Uzbekistan",
        "Venezuela (Bolivarian Republic of)",
        "Viet Nam",
        "Yemen",
        "Zambia",
        "Zimbabwe",
    ]
)
SLOVENIA_2019_STATES = frozenset(
    [
        "Afghanistan",
        "Albania",
        "Algeria",
        "Angola",
        "Argentina",
        "Australia",
        "Austria",
        "Azerbaijan",
        "Bahamas",
        "Bangladesh",
        "Belarus",
        "Bhutan",
        "Bolivarian Republic of Venezuela",
        "Botswana",
        "Brazil",
        "Bulgaria",
        "Canada",
        "Chile",
        "China",
        "Costa Rica",
        "Croatia",
        "Cuba",
        "Cyprus",
        "Denmark",
        "Djibouti",
        "Dominican Republic",
        "Ecuador",
        "Egypt",
        "Ethiopia",
        "Fiji",
        "France",
        "Georgia",
        "Germany",
        "Ghana",
        "Greece",
        "Honduras",
        "Iceland",
        "India",
        "Indonesia",
        "Iraq",
        "Ireland",
        "Islamic Republic of Iran",
        "Israel",
        "Italy",
        "Jordan",
        "Lebanon",
        "Lithuania",
        "Luxembourg",
        "Malaysia",
        "Maldives",
        "Malta",
        "Mexico",
        "Montenegro",
        "Myanmar",
        "Nepal",
        "Netherlands",
        "Niger",
        "Nigeria",
        "North Macedonia",
        "Pakistan",
        "Peru",
        "Philippines",
        "Portugal",
        "Qatar",
        "Republic of Korea",
        "Republic of Moldova",
        "Russian Federation",
        "Rwanda",
        "Senegal",
        "Serbia",
        "Slovakia",
        "Spain",
        "State of Palestine",
        "Thailand",
        "Tunisia",
        "Turkey",
        "Ukraine",
        "United Kingdom of Great Britain and Northern Ireland",
        "United States of America",
        "Uruguay",
        "Uzbekistan",
    ]
)
SLOVENIA_2025_STATES = frozenset(
    [
        "Albania",
        "Algeria",
        "Armenia",
        "Australia",
        "Austria",
        "Azerbaijan",
        "Bahrain",
        "Bangladesh",
        "Belarus",
        "Belgium",
        "Bhutan",
        "Bolivarian Republic of Venezuela",
        "Brazil",
        "Bulgaria",
        "Burkina Faso",
        "Cabo Verde",
        "Canada",
        "Chile",
        "China",
        "Colombia",
        "Costa Rica",
        "Croatia",
        "Cuba",
        "Cyprus",
        "Djibouti",
        "Dominican Republic",
        "Egypt",
        "Estonia",
        "Ethiopia",
        "France",
        "Gambia",
        "Georgia",
        "Germany",
        "Ghana",
        "Greece",
        "Iceland",
        "India",
        "Indonesia",
        "Iraq",
        "Ireland",
        "Islamic Republic of Iran",
        "Israel",
        "Italy",
        "Japan",
        "Jordan",
        "Kazakhstan",
        "Kingdom of the Netherlands",
        "Lebanon",
        "Libya",
        "Lithuania",
        "Luxembourg",
        "Malawi",
        "Malaysia",
        "Maldives",
        "Malta",
        "Mauritius",
        "Mexico",
        "Montenegro",
        "Morocco",
        "Nepal",
        "Nigeria",
        "North Macedonia",
        "Oman",
        "Pakistan",
        "Paraguay",
        "Philippines",
        "Poland",
        "Portugal",
        "Qatar",
        "Republic of Korea",
        "Romania",
        "Russian Federation",
        "Rwanda",
        "Samoa",
        "Senegal",
        "Serbia",
        "Sierra Leone",
        "Slovakia",
        "South Sudan",
        "Spain",
        "Sri Lanka",
        "State of Palestine",
        "Thailand",
        "Timor-Leste",
        "Togo",
        "Türkiye",
        "Ukraine",
        "United Kingdom of Great Britain and Northern Ireland",
        "Uruguay",
        "Uzbekistan",
        "Vanuatu",
        "Venezuela (Bolivarian Republic of)",
        "Viet Nam",
        "Yemen",
        "Zambia",
    ]
)


@pytest.fixture(scope="module")
def china() -> ParseResult:
    return read_ohchr_docx(CHINA_2013)


@pytest.fixture(scope="module")
def slovenia_2019() -> ParseResult:
    return read_ohchr_docx(SLOVENIA_2019)


@pytest.fixture(scope="module")
def slovenia_2025() -> ParseResult:
    return read_ohchr_docx(SLOVENIA_2025)


@pytest.fixture(scope="module")
def results(china, slovenia_2019, slovenia_2025) -> dict[str, ParseResult]:
    return {"china": china, "slovenia_2019": slovenia_2019, "slovenia_2025": slovenia_2025}


def by_paragraph(result: ParseResult, paragraph: str):
    (draft,) = [draft for draft in result.drafts if draft.paragraph == paragraph]
    return draft


# --- the three published layouts ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "rows", "supported", "noted"),
    [("china", 252, 204, 48), ("slovenia_2019", 215, 182, 33), ("slovenia_2025", 254, 217, 37)],
)
def test_every_paragraph_row_is_read(results, name, rows, supported, noted):
    result = results[name]
    assert result.errors == []
    assert result.warnings == []
    assert result.rows == rows  # theme headings and the header row are not counted
    assert len(result.drafts) == rows
    assert Counter(draft.position for draft in result.drafts) == {"Supported": supported, "Noted": noted}
    assert len({draft.paragraph for draft in result.drafts}) == rows


@pytest.mark.parametrize(
    ("name", "state", "session", "symbols"),
    [
        ("china", "China", 17, ["A/HRC/25/5", "A/HRC/25/5/Add.1"]),
        ("slovenia_2019", "Slovenia", 34, ["A/HRC/43/15", "A/HRC/43/15/Add.1"]),
        ("slovenia_2025", "Slovenia", 48, ["A/HRC/59/15", "A/HRC/59/15/Add.1"]),
    ],
)
def test_review_comes_from_the_page_header(results, name, state, session, symbols):
    reviews = {id(draft.review) for draft in results[name].drafts}
    review = results[name].drafts[0].review
    assert len(reviews) == 1
    assert (review.mechanism, review.state, review.session) == ("upr", state, session)
    assert review.document_symbols == symbols


def test_multi_part_paragraphs(china, slovenia_2019, slovenia_2025):
    assert [draft.paragraph for draft in china.drafts if draft.parts] == [
        "186.23",
        "186.2",
        "186.1",
        "186.19",
        "186.69",
        "186.70",
        "186.73",
        "186.59",
        "186.107",
        "186.109",
        "186.108",
        "186.117",
        "186.151",
        "186.131",
    ]
    assert [draft.paragraph for draft in slovenia_2019.drafts if draft.parts] == ["121.2", "122.11", "122.3"]
    assert [draft.paragraph for draft in slovenia_2025.drafts if draft.parts] == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [("china", CHINA_2013_STATES), ("slovenia_2019", SLOVENIA_2019_STATES), ("slovenia_2025", SLOVENIA_2025_STATES)],
)
def test_recommending_states_as_published(results, name, expected):
    assert {state for draft in results[name].drafts for state in draft.recommending_states} == expected


def test_cycle_2_single_recommendation(china):
    draft = china.drafts[0]
    assert draft.row == 3  # row 1 is the header, row 2 the "Theme: A12 …" heading
    assert draft.paragraph == "186.28"
    assert draft.text == (
        "Continue its efforts on the ratification of other human rights instruments and relevant protocols"
    )
    assert draft.parts == []
    assert draft.recommending_states == ["Mongolia"]
    assert draft.position == "Supported"
    assert draft.position_source == "A/HRC/25/5/Add.1 - Para. 186.28."
    assert draft.theme_vocabulary == "uhri"
    assert draft.themes == [("A12", "Acceptance of international norms"), ("B51", "Right to an effective remedy")]
    assert draft.affected_groups == ["general"]
    assert (draft.sdg_goals, draft.sdg_targets) == ([], [])


def test_cycle_2_multi_part_paragraph(china):
    draft = by_paragraph(china, "186.2")
    assert draft.row == 11
    assert draft.text == (
        "Ratify as soon as possible ICCPR (Brazil); Speed up the ratification of the ICCPR, which has been "
        "already signed by China (Bulgaria); Speed up the process of the ratification of the ICCPR (Estonia); "
        "Expedite the ratification of the ICCPR (Ghana)"
    )
    assert draft.parts == [
        "Ratify as soon as possible ICCPR",
        "Speed up the ratification of the ICCPR, which has been already signed by China",
        "Speed up the process of the ratification of the ICCPR",
        "Expedite the ratification of the ICCPR",
    ]
    assert draft.recommending_states == ["Brazil", "Bulgaria", "Estonia", "Ghana"]
    assert draft.position == "Noted"
    assert draft.position_source == "A/HRC/25/5/Add.1 - Para. 186.2."
    assert draft.themes == [
        ("A12", "Acceptance of international norms"),
        ("D1", "Civil & political rights - general measures of implementation"),
    ]
    assert draft.affected_groups == ["general"]


def test_cycle_2_irregular_separators(china):
    # ";Ratify" without a space, ") ;" before the final part, a State named twice.
    draft = by_paragraph(china, "186.1")
    assert len(draft.parts) == 10
    assert draft.parts[3] == "Ratify both the ICCPR and the OP-CAT"
    assert draft.parts[-1] == "Ratify the ICCPR"
    assert draft.text.endswith("Ratify ICCPR and OP-CAT (Sierra Le one); Ratify the ICCPR (France)")
    assert draft.recommending_states == [
        "Albania",
        "Chile",
        "Belgium",
        "Hungary",
        "Japan",
        "Maldives",
        "Spain",
        "Sierra Le one",
        "France",
    ]


def test_cycle_3_recommendation_with_sdgs(slovenia_2019):
    draft = by_paragraph(slovenia_2019, "121.1")
    assert draft.row == 3
    assert draft.text == (
        "Ratify the International Convention for the Protection of All Persons from Enforced Disappearance"
    )
    assert draft.parts == []
    assert draft.recommending_states == ["France", "Lithuania"]
    assert draft.position == "Supported"
    assert draft.position_source == "A/HRC/43/15 - Para 121"
    assert draft.themes == [("", "Acceptance of international norms"), ("", "Enforced disappearances")]
    assert draft.affected_groups == ["Disappeared persons"]
    assert draft.sdg_goals == [16]
    assert draft.sdg_targets == []


def test_cycle_3_bracket_in_text_is_kept(slovenia_2019):
    draft = by_paragraph(slovenia_2019, "121.3")
    assert draft.text == (
        "Ratify and implement the International Labour Organization’s 2014 Protocol to the Forced Labour "
        "Convention, 1930 (No. 29)"
    )
    assert draft.recommending_states == ["United Kingdom of Great Britain and Northern Ireland"]
    assert draft.themes == [
        ("", "Acceptance of international norms"),
        ("", "Right to work and to just & favorable conditions of work & labour rights"),
        ("", "Prohibition of slavery, trafficking"),
    ]
    assert draft.affected_groups == []  # this row has no "Affected persons:" section
    assert draft.sdg_goals == [8]


def test_cycle_3_multi_part_and_short_source(slovenia_2019):
    draft = by_paragraph(slovenia_2019, "121.2")
    assert draft.parts == [
        "Complete the process of ratification of the International Convention for the Protection of All "
        "Persons from Enforced Disappearance",
        "Increase efforts towards ratification of the International Convention for the Protection of All "
        "Persons from Enforced Disappearance",
    ]
    assert draft.recommending_states == ["Ukraine", "Slovakia"]
    # Four rows give the addendum without a paragraph.
    assert by_paragraph(slovenia_2019, "122.143").position_source == "A/HRC/43/15/Add.1"


def test_cycle_4_recommendation(slovenia_2025):
    draft = slovenia_2025.drafts[0]
    assert draft.row == 3
    assert draft.paragraph == "140.7"
    assert (
        draft.text
        == "Ratify the Optional Protocol to the International Covenant on Economic, Social and Cultural Rights"
    )
    assert draft.parts == []
    assert draft.recommending_states == ["Maldives", "Portugal"]
    assert draft.position == "Supported"
    assert draft.position_source == "A/HRC/59/15/Add.1 - Para.3"
    assert draft.themes == [
        ("", "Ratification of & accession to international instruments"),
        ("", "Economic, social & cultural rights - general measures of implementation"),
    ]
    assert draft.affected_groups == ["Public officials"]
    assert draft.sdg_goals == [1, 2, 3, 4, 5, 6, 7, 8]
    assert draft.sdg_targets == []


def test_cycle_4_published_quirks(slovenia_2025):
    # The non-breaking hyphen (U+2011) is kept; the spaces around it are as published.
    assert "custom \u2011 designed services" in by_paragraph(slovenia_2025, "140.194").text
    assert by_paragraph(slovenia_2025, "140.113").position_source == "A/HRC/59/15/Add.1 - Para.3vv"
    public_officials = sum("Public officials" in draft.affected_groups for draft in slovenia_2025.drafts)
    assert public_officials == 253


def test_texts_are_whitespace_normalised(results):
    for result in results.values():
        for draft in result.drafts:
            for text in (draft.text, *draft.parts, *draft.recommending_states):
                assert text == text.strip()
                assert "\u00a0" not in text
                assert "  " not in text
            assert not draft.text.endswith(";")


def test_arguments_override_the_header():
    result = read_ohchr_docx(SLOVENIA_2025, state="Republic of Slovenia", session=48)
    assert result.drafts[0].review.state == "Republic of Slovenia"
    assert result.warnings == [
        "the document names the State under review 'Slovenia'; using 'Republic of Slovenia' as given"
    ]


# --- small generated documents -------------------------------------------------------------------


def write_list(
    path: Path,
    rows: list[list[str]],
    *,
    header: str | None = "UPR of Ruritania (3rd Cycle – 30th session)\t\tThematic list of recommendations",
    title: str | None = None,
    headers: list[str] = CYCLE_2_HEADERS,
) -> Path:
    document = docx.Document()
    if header:
        document.sections[0].header.paragraphs[0].text = header
    if title:
        document.add_paragraph(title)
    table = document.add_table(rows=0, cols=len(headers))
    for values in [headers, *rows]:
        cells = table.add_row().cells
        if values[0].startswith("Theme:"):  # headings are one merged cell, as published
            cells = [cells[0].merge(cells[-1])]
        for cell, value in zip(cells, values, strict=False):
            cell.text = value
    document.save(path)
    return path


GOOD_ROW = [
    "110.1 Ratify the Convention (No. 189) (Iran (Islamic Republic of), Bolivia (Plurinational State of));\n"
    "Source of position: A/HRC/30/9/Add.1 - Para. 3",
    "Supported",
    "- Acceptance of international norms\nSDGs:\n- 8 - DECENT WORK\n- 8.7 - End forced labour\n"
    "Affected persons:\n- Migrants",
    "",
]


def test_generated_list_with_comma_separated_sponsors(tmp_path):
    result = read_ohchr_docx(write_list(tmp_path / "list.docx", [["Theme: A12 Acceptance"], GOOD_ROW]))
    assert (result.rows, result.errors) == (1, [])
    (draft,) = result.drafts
    assert draft.row == 3
    assert draft.text == "Ratify the Convention (No. 189)"
    assert draft.recommending_states == ["Iran (Islamic Republic of)", "Bolivia (Plurinational State of)"]
    assert draft.sdg_goals == [8]
    assert draft.sdg_targets == [("8.7", "End forced labour")]
    assert draft.affected_groups == ["Migrants"]
    assert (draft.review.state, draft.review.session) == ("Ruritania", 30)
    assert draft.review.document_symbols == ["A/HRC/30/9", "A/HRC/30/9/Add.1"]


def test_bad_rows_are_all_reported(tmp_path):
    rows = [
        ["Theme: A12 Acceptance"],
        GOOD_ROW,
        ["Ratify the Convention (Peru);\nSource of position: A/HRC/30/9/Add.1 - Para. 3", "Noted", "", ""],
        ["110.3 Ratify the Convention;\nSource of position: A/HRC/30/9/Add.1 - Para. 3", "Noted", "", ""],
    ]
    result = read_ohchr_docx(write_list(tmp_path / "list.docx", rows))
    assert result.rows == 3
    assert [draft.row for draft in result.drafts] == [3]
    assert [(error.row, error.column) for error in result.errors] == [(4, "Recommendation"), (5, "Recommendation")]
    assert "paragraph number" in result.errors[0].message
    assert "recommending State" in result.errors[1].message
    assert result.errors[1].value.startswith("110.3 Ratify the Convention")


def test_no_recommendation_table(tmp_path):
    path = tmp_path / "letter.docx"
    document = docx.Document()
    document.add_paragraph("UPR of Ruritania (3rd Cycle – 30th session)")
    document.add_table(rows=1, cols=2).rows[0].cells[0].text = "Name"
    document.save(path)
    with pytest.raises(ImportFileError, match="is not an OHCHR thematic list: no recommendation table found"):
        read_ohchr_docx(path)


def test_not_a_docx(tmp_path):
    path = tmp_path / "export.docx"
    path.write_text("To,Text,From\nChina,Ratify ICCPR,Brazil\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match=r"export\.docx: not a Word \.docx file"):
        read_ohchr_docx(path)


def test_missing_header_needs_state_and_session(tmp_path):
    path = write_list(tmp_path / "list.docx", [GOOD_ROW], header=None)
    with pytest.raises(ImportFileError, match="--state and --session"):
        read_ohchr_docx(path)
    result = read_ohchr_docx(path, state="Ruritania", session=30)
    assert (result.drafts[0].review.state, result.drafts[0].review.session) == ("Ruritania", 30)


def test_title_paragraph_names_the_review(tmp_path):
    title = "UPR of Venezuela (Bolivarian Republic of) (4th Cycle - 54th Session)"
    path = write_list(tmp_path / "list.docx", [GOOD_ROW], header=None, title=title)
    review = read_ohchr_docx(path).drafts[0].review
    assert (review.state, review.session) == ("Venezuela (Bolivarian Republic of)", 54)


def test_cycle_4_headers_in_another_order(tmp_path):
    headers = [
        "Relevant SDGs",
        "Recommendation and recommending State",
        "Human rights themes and groups of persons",
        "Position of the State under review",
    ]
    row = ["- 5 - GENDER EQUALITY", "140.2 Adopt a law (Chile);", "- Women\nGroups of Persons:\n- Women", "Noted"]
    result = read_ohchr_docx(write_list(tmp_path / "list.docx", [row], headers=headers))
    (draft,) = result.drafts
    assert (draft.paragraph, draft.text, draft.position) == ("140.2", "Adopt a law", "Noted")
    assert (draft.themes, draft.affected_groups, draft.sdg_goals) == ([("", "Women")], ["Women"], [5])
