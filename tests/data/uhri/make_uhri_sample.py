"""Write `uhri_sample.xlsx`: a small workbook in the layout of UHRI's "Export to Excel".

Run from anywhere: `.venv/bin/python tests/data/uhri/make_uhri_sample.py`.
Cell values are deterministic (annotation ids are uuid5 of a fixed namespace), so the
tests' expected values stay valid after regenerating. See README.md for the sources.
"""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path

import openpyxl

OUTPUT = Path(__file__).with_name("uhri_sample.xlsx")
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://uhri.ohchr.org/en/our-data-api")

# Column order and spelling (typos included) of the UHRI export; the last two columns
# are present in real exports but ignored by the reader.
HEADER = [
    "Text",
    "Countries Concerned",
    "Regions Concerned",
    "Reccomending Body",
    "Type",
    "Document Symbol",
    "Document Publication Date",
    "Themes",
    "Affected Persons",
    "Sdgs",
    "UPR Session",
    "UPR Reccomending States",
    "UPR Position",
    "OHCHR Annotation Id",
    "Recommending Regions",
    "Date of publication on UHRI",
]

UPR_SYMBOL = "A/HRC/59/15"
UPR_DATE = datetime.date(2025, 4, 7)
EEG = "Eastern European States"

# Slovenia, UPR 48th session: paragraph, text as in the OHCHR thematic list,
# recommending States (UHRI spelling), position, themes, affected persons, SDGs,
# regions of the recommending States.
UPR_ROWS = [
    (
        "140.7",
        "140.7 Ratify the Optional Protocol to the International Covenant on Economic, Social and "
        "Cultural Rights (Maldives) (Portugal);",
        ["Maldives", "Portugal"],
        "Supported",
        [
            "Ratification of & accession to international instruments",
            "Economic, social & cultural rights - general measures of implementation",
        ],
        ["Public officials"],
        [
            "1 - NO POVERTY",
            "2 - ZERO HUNGER",
            "3 - GOOD HEALTH AND WELL-BEING",
            "4 - QUALITY EDUCATION",
            "5 - GENDER EQUALITY",
            "6 - CLEAN WATER AND SANITATION",
            "7 - AFFORDABLE AND CLEAN ENERGY",
            "8 - DECENT WORK AND ECONOMIC GROWTH",
        ],
        ["Asia-Pacific States", "Western European and other States"],
    ),
    (
        "140.11",
        "140.11 Accede to the 1961 Convention on the Reduction of Statelessness, in line with the pledge "
        "announced during the 2023 Global Refugee Forum (North Macedonia);",
        ["North Macedonia"],
        "Supported",
        ["Ratification of & accession to international instruments", "Refugees & asylum seekers"],
        ["Refugees & asylum seekers", "Public officials", "Stateless persons"],
        ["10 - REDUCED INEQUALITIES"],
        [EEG],
    ),
    (
        "140.15",
        "140.15 Continue the harmonization of the legislative framework and national laws with the "
        "requirements of ratified international conventions in the field of human rights (Djibouti);",
        ["Djibouti"],
        "Supported",
        ["Constitutional & legislative framework", "Ratification of & accession to international instruments"],
        ["Public officials"],
        ["16 - PEACE, JUSTICE AND STRONG INSTITUTIONS"],
        ["African States"],
    ),
    (
        "140.81",
        "140.81 Ensure that relevant laws and policies respect the rights and duties of parents or legal "
        "guardians of children, in accordance with international law (Nigeria);",
        ["Nigeria"],
        "Supported",
        [
            "Constitutional & legislative framework",
            "Children: definition; general principles; protection",
            "Children: family environment & alternative care",
        ],
        ["Children", "Public officials"],
        ["16 - PEACE, JUSTICE AND STRONG INSTITUTIONS"],
        ["African States"],
    ),
    (
        "140.201",
        "140.201 Review national legislation, policies and programmes to align with its obligations under "
        "the Convention on the Rights of Persons with Disabilities, adopting a human rights-based model of "
        "disability (Israel);",
        ["Israel"],
        "Supported",
        ["Constitutional & legislative framework", "Persons with disabilities: definition, general principles"],
        ["Public officials", "Persons with disabilities"],
        ["16 - PEACE, JUSTICE AND STRONG INSTITUTIONS"],
        ["Western European and other States"],
    ),
    (
        "140.1",
        "140.1 Ratify the International Convention on the Protection of the Rights of All Migrant Workers "
        "and Members of Their Families (Algeria) (Cabo Verde) (Paraguay) (South Sudan) (Sri Lanka) (Togo) "
        "(Uruguay) (Bolivarian Republic of Venezuela);",
        [
            "Algeria",
            "Cabo Verde",
            "Paraguay",
            "South Sudan",
            "Sri Lanka",
            "Togo",
            "Uruguay",
            "Venezuela (Bolivarian Republic of)",
        ],
        "Noted",
        ["Ratification of & accession to international instruments", "Migrants"],
        ["Public officials", "Migrants"],
        ["8 - DECENT WORK AND ECONOMIC GROWTH", "10 - REDUCED INEQUALITIES"],
        ["African States", "Asia-Pacific States", "Latin American and Caribbean States"],
    ),
    (
        "140.70",
        "140.70 Amend defamation legislation so that it is considered a civil, not a criminal, offence "
        "(United Kingdom of Great Britain and Northern Ireland);",
        ["United Kingdom of Great Britain and Northern Ireland"],
        "Noted",
        ["Constitutional & legislative framework", "Freedom of opinion and expression & access to information"],
        ["Public officials"],
        ["16 - PEACE, JUSTICE AND STRONG INSTITUTIONS"],
        ["Western European and other States"],
    ),
    (
        "140.79",
        "140.79 Remove all exceptions to the legal minimum age of marriage at 18 for both women and men (Estonia);",
        ["Estonia"],
        "Noted",
        [
            "Constitutional & legislative framework",
            "Rights related to marriage & family",
            "Children: definition; general principles; protection",
        ],
        ["Children", "Public officials", "Women & girls"],
        ["5 - GENDER EQUALITY", "16 - PEACE, JUSTICE AND STRONG INSTITUTIONS"],
        [EEG],
    ),
]

# Treaty-body and special-procedure rows: texts written in the style of concluding
# observations and mandate reports (illustrative, not quotations; see README.md).
# (key, countries, body lines, symbol, date, text, themes, affected persons, SDGs)
OTHER_ROWS = [
    (
        "39",
        ["Slovenia"],
        ["CRC"],
        "CRC/C/SVN/CO/5-6",
        datetime.date(2025, 2, 21),
        "Children belonging to minority groups\n"
        "39. The Committee recommends that the State party:\n"
        "(a) Ensure that Roma children living in informal settlements have access to safe drinking water,  "
        "sanitation and electricity;\n"
        "(b) Strengthen measures to increase the enrolment and completion rates of Roma children in "
        "preschool, primary and secondary education.",
        ["Children: definition; general principles; protection", "Members of minorities", "Right to education"],
        ["Children", "Roma"],
        [
            "4.1 - Free primary and secondary education",
            "4.5 - Eliminate all discrimination in education",
            "6.1 - Safe and affordable drinking water",
        ],
    ),
    (
        "32",
        ["Slovenia"],
        ["CEDAW"],
        "CEDAW/C/SVN/CO/7",
        datetime.date(2023, 3, 1),
        "Rural women 32.The Committee recommends that the State party ensure that rural women have equal "
        "access to land ownership, credit and social protection, and that they participate in the design "
        "of rural development policies.",
        ["Equality & non-discrimination", "Discrimination against women", "Land & property rights"],
        ["Persons living in rural areas", "Women & girls"],
        ["1.4 - Equal rights to economic resources", "5.a - Equal rights to economic resources"],
    ),
    (
        "12",
        ["Slovenia"],
        ["CCPR"],
        "CCPR/C/SVN/CO/4",
        datetime.date(2024, 4, 26),
        "12. The State party should take all measures necessary to enable the remaining \u201cerased\u201d "
        "persons to regularize their status and should provide them with effective remedies, including "
        "adequate compensation.",
        ["Right to nationality", "Right to an effective remedy"],
        ["Stateless persons"],
        ["16.9 - Provide legal identity for all", "10 - REDUCED INEQUALITIES"],
    ),
    (
        "81",
        ["Slovenia", "Croatia"],
        ["SR on the right to adequate housing", "Special Procedures"],
        "A/HRC/58/52/Add.1",
        datetime.date(2025, 1, 15),
        "The Special Rapporteur recommends that the States concerned ensure that Roma settlements are "
        "connected to water supply and sanitation networks, irrespective of the legal status of the land "
        "on which they are situated.",
        ["Right to adequate housing", "Safe drinking water & sanitation", "Members of minorities"],
        ["Roma", "Persons living in poverty"],
        ["6.2 - Access to sanitation and hygiene", "11.1 - Safe and affordable housing"],
    ),
]


def lines(values: list[str]) -> str:
    """A UHRI multi-value cell: one `- value` line per value."""
    return "\n".join(f"- {value}" for value in values)


def serial(day: datetime.date) -> int:
    """Excel 1900-system serial number, as the export writes dates."""
    return (day - datetime.date(1899, 12, 30)).days


def annotation_id(symbol: str, key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{symbol}|{key}"))


def upr_row(
    paragraph: str,
    text: str,
    states: list[str],
    position: str,
    themes: list[str],
    affected: list[str],
    sdgs: list[str],
    regions: list[str],
) -> list[object]:
    return [
        text,
        "- Slovenia",
        f"- {EEG}",
        "- UPR",
        "- Recommendations",
        UPR_SYMBOL,
        serial(UPR_DATE),
        lines(themes),
        lines(affected),
        lines(sdgs),
        "- 48 Session",
        lines(states),
        f"- {position}",
        annotation_id(UPR_SYMBOL, paragraph),
        lines(regions),
        serial(UPR_DATE) + 21.4996282407,
    ]


def other_row(
    key: str,
    countries: list[str],
    bodies: list[str],
    symbol: str,
    day: datetime.date,
    text: str,
    themes: list[str],
    affected: list[str],
    sdgs: list[str],
) -> list[object]:
    return [
        text,
        lines(countries),
        f"- {EEG}",
        lines(bodies),
        "- Recommendations",
        symbol,
        serial(day),
        lines(themes),
        lines(affected),
        lines(sdgs),
        None,
        None,
        None,
        annotation_id(symbol, key),
        None,
        serial(day) + 35.6170138889,
    ]


def main() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Sheet1"
    sheet.append(HEADER)
    for row in UPR_ROWS:
        sheet.append(upr_row(*row))
    for row in OTHER_ROWS:
        sheet.append(other_row(*row))
    workbook.save(OUTPUT)
    print(f"wrote {OUTPUT} ({len(UPR_ROWS) + len(OTHER_ROWS)} rows)")


if __name__ == "__main__":
    main()
