"""Plain text helpers shared by importers, models and search: no Django imports."""

import html
import re
import unicodedata

# Characters that print as a space: no-break space, narrow no-break space, figure space,
# the en/em spaces, ideographic space, zero-width space.
_SPACE_CHARS = "\u00a0\u202f\u2007\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2008\u2009\u200a\u3000\t\x0b\x0c"
_SPACE_TABLE = str.maketrans(dict.fromkeys(_SPACE_CHARS, " ") | {"\u200b": "", "\ufeff": ""})
_ASCII_SPACES = re.compile(r"[\t\x0b\x0c]")  # the only ASCII characters _SPACE_TABLE changes
_MULTI_SPACE = re.compile(r" {2,}")

# Typographic variants folded away before comparing texts or names.
_FOLD_TABLE = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "`": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
    }
)


def normalise_whitespace(value: str) -> str:
    """Collapse spaces (no-break ones included) in each line; drop blank lines.

    Text is otherwise kept exactly as published.
    """
    # `translate` costs about a microsecond per 100 characters even when it changes
    # nothing: most texts are ASCII without tabs, and skip it.
    if not value.isascii() or _ASCII_SPACES.search(value):
        value = value.translate(_SPACE_TABLE)
    if "\n" not in value and "\r" not in value and "  " not in value:
        return value.strip()  # one line without double spaces: the common case
    lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cleaned = (_MULTI_SPACE.sub(" ", line).strip() for line in lines)
    return "\n".join(line for line in cleaned if line)


class _CombiningMarks(dict):
    """A `str.translate` table deleting combining marks, filled in as characters come."""

    def __missing__(self, code: int) -> int | None:
        self[code] = kept = None if unicodedata.combining(chr(code)) else code
        return kept


_COMBINING_MARKS = _CombiningMarks()


def strip_accents(value: str) -> str:
    if value.isascii():
        return value
    return unicodedata.normalize("NFKD", value).translate(_COMBINING_MARKS)


def fold(value: str) -> str:
    """Case-, accent- and typography-insensitive form of a string."""
    value = html.unescape(value)
    if value.isascii():  # the common case: the backtick is the only ASCII character folded
        return (value.replace("`", "'") if "`" in value else value).casefold()
    return strip_accents(value.translate(_FOLD_TABLE)).casefold()


_NON_WORD = re.compile(r"[^\w]+")


def name_key(value: str) -> str:
    """Key under which a State, theme or group name is looked up.

    `Côte d’Ivoire` and `Cote d'Ivoire` share one key; `&` reads as `and`. Apostrophes join
    words (`d'Ivoire` -> `divoire`) so that both spellings agree; a source that writes the
    apostrophe as a space (`COTE D IVOIRE`) is found by `StateIndex.find`, which also compares
    keys without spaces.
    """
    folded = fold(value).replace("&", " and ").replace("'", "")
    return " ".join(_NON_WORD.sub(" ", folded).split())


# A leading paragraph number such as `186.28.`, `121.1` or `5.` (not a year like `2030`).
_PARAGRAPH_PREFIX = re.compile(r"^\s*(\d{1,3}(?:\.\d{1,3})+|\d{1,3})\.?\s+(?=\S)")
# List markers: `(a)`, `a)`, `(iv)`, `- ` at the start of a line or after `;`/`:`.
_LIST_MARKER = re.compile(r"(?:(?<=^)|(?<=[;:\n]))\s*(?:\(?[a-z]{1,3}\)|\(?[ivx]{1,5}\)|[-\u2022])\s+", re.I)


def split_paragraph_number(text: str) -> tuple[str, str]:
    """`186.28. Continue …` -> (`186.28`, `Continue …`); no number -> (``, text)."""
    match = _PARAGRAPH_PREFIX.match(text)
    if not match:
        return "", text
    return match.group(1), text[match.end() :]


_WORDS = re.compile(r"[^\W_]+")  # letters and digits: what is left between punctuation and spaces
# The same for ASCII text, as a translation to spaces: three times faster than the regex.
_ASCII_NON_WORDS = str.maketrans({code: chr(code) if chr(code).isalnum() else " " for code in range(128)})


def match_key(text: str) -> str:
    """Normalised form of a recommendation text for matching across sources.

    Ignores case, accents, punctuation, quotes, paragraph numbers and list markers, so
    that `186.2. Ratify the “ICCPR”;` and `Ratify the ICCPR ` match.
    """
    _, body = split_paragraph_number(fold(text))
    if ")" in body or "-" in body or "\u2022" in body:  # every list marker has one of them
        body = _LIST_MARKER.sub(" ", body)
    if body.isascii():
        return " ".join(body.translate(_ASCII_NON_WORDS).split())
    return " ".join(_WORDS.findall(body))


def matching_open_paren(text: str, close: int) -> int | None:
    """Index of the `(` that closes at `text[close]` (a `)`), scanning leftwards, so that
    nested names such as `(Iran (Islamic Republic of))` stay whole; None if unbalanced."""
    depth = 0
    for index in range(close, -1, -1):
        if text[index] == ")":
            depth += 1
        elif text[index] == "(":
            depth -= 1
            if depth == 0:
                return index
    return None
