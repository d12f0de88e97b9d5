"""Text helpers: whitespace, accents and the keys texts and names are matched on."""

import html
import re

import pytest

from upr_portal.lib import text
from upr_portal.lib.text import fold, match_key, name_key, normalise_whitespace, strip_accents


@pytest.mark.parametrize(
    ("published", "kept"),
    [
        ("Ratify the ICCPR ", "Ratify the ICCPR"),
        ("Ratify\u00a0the  ICCPR", "Ratify the ICCPR"),
        ("Ratify\u200b the\u202fICCPR\t", "Ratify the ICCPR"),
        ("  (a) first;\r\n\r\n(b)  second\rthird \n ", "(a) first;\n(b) second\nthird"),
        ("\u00a0 \n ", ""),
        ("", ""),
    ],
)
def test_whitespace_is_normalised_and_nothing_else(published, kept):
    assert normalise_whitespace(published) == kept


def test_accents_go_but_letters_of_other_scripts_stay():
    assert strip_accents("Côte d’Ivoire, Türkiye, São Tomé") == "Cote d’Ivoire, Turkiye, Sao Tome"
    assert strip_accents("e\u0301") == "e"
    assert strip_accents("Россия 中国 مصر") == "Россия 中国 مصر"


def test_fold_ignores_case_accents_and_typography():
    assert fold("“Côte d’Ivoire” – ÉTAT &amp; Co") == '"cote d\'ivoire" - etat & co'


def test_match_keys_ignore_numbers_markers_and_punctuation():
    assert match_key("186.2. Ratify the “ICCPR”;") == match_key("Ratify the ICCPR ") == "ratify the iccpr"
    assert match_key("(a) ratify; (iv) - report") == "ratify report"
    assert match_key("Ratify (the) ICCPR") == "ratify the iccpr"


def test_name_keys_agree_across_spellings():
    assert name_key("Côte d’Ivoire") == name_key("COTE D'IVOIRE") == name_key("Cote d'Ivoire") == "cote divoire"
    assert name_key("Trinidad & Tobago") == "trinidad and tobago"


ASCII = "".join(map(chr, range(128)))


@pytest.mark.parametrize(
    "value",
    [ASCII, "Ratify the `Optional Protocol`;\tnow", "(a) a\x0bb\x0cc", "Côte d’Ivoire\u00a0— CEDAW", "ĲSSELMEER ß"],
)
def test_the_ascii_shortcuts_give_what_the_general_rules_give(value):
    words = re.compile(r"[^\W_]+")
    spaced = value.translate(text._SPACE_TABLE)

    assert normalise_whitespace(value) == normalise_whitespace(spaced + "\u00a0")
    assert fold(value) == text.strip_accents(html.unescape(value).translate(text._FOLD_TABLE)).casefold()
    body = text.split_paragraph_number(fold(value))[1]
    assert match_key(value) == " ".join(words.findall(text._LIST_MARKER.sub(" ", body)))
