"""Importers for published recommendation data.

`read(path, fmt)` returns a `ParseResult` of `Draft`s; `engine.apply` writes them.
The entry point for callers is `recommendations.services.recommendations_import`.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from recommendations.models import Source

from .base import ImportFileError, ParseResult
from .detect import detect_format

# format -> (module, reader function, source recorded on created recommendations)
READERS = {
    "upr-info-csv": ("upr_info", "read_upr_info_csv", Source.UPR_INFO),
    "upr-info-xls": ("upr_info", "read_upr_info_xls", Source.UPR_INFO),
    "ohchr-docx": ("ohchr_docx", "read_ohchr_docx", Source.OHCHR_LIST),
    "uhri-xlsx": ("uhri_xlsx", "read_uhri_xlsx", Source.UHRI),
    "portal-csv": ("portal", "read_portal_csv", Source.PORTAL),
    "portal-xlsx": ("portal", "read_portal_xlsx", Source.PORTAL),
}
FORMATS = ("auto", *READERS)


def read_recommendations(
    path: Path, fmt: str, *, state: str | None = None, session: int | None = None
) -> tuple[str, ParseResult]:
    """Read `path` as `fmt` ("auto" detects it); returns the format used and the drafts."""
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    if fmt == "auto":
        fmt = detect_format(path)
    module, function, _ = READERS[fmt]
    reader = getattr(import_module(f"{__name__}.{module}"), function)
    options = {"state": state, "session": session} if fmt == "ohchr-docx" else {}
    return fmt, reader(path, **options)


def source_of(fmt: str) -> str:
    return READERS[fmt][2]
