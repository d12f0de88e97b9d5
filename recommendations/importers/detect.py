"""Recognise a file's format from its content (the name is only a hint)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from .base import ImportFileError

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls)
ZIP_MAGIC = b"PK\x03\x04"


def detect_format(path: Path) -> str:
    head = _head(path)
    if head.startswith(OLE2_MAGIC):
        return "upr-info-xls"
    if head.startswith(ZIP_MAGIC):
        return _zip_format(path)
    return _text_format(path)


def _head(path: Path, size: int = 8) -> bytes:
    with path.open("rb") as handle:
        return handle.read(size)


def _zip_format(path: Path) -> str:
    try:
        names = set(zipfile.ZipFile(path).namelist())
    except zipfile.BadZipFile as exc:
        raise ImportFileError(f"{path}: damaged ZIP container ({exc})") from exc
    if "word/document.xml" in names:
        return "ohchr-docx"
    if "xl/workbook.xml" in names:
        return _xlsx_format(path)
    raise ImportFileError(f"{path}: a ZIP file that is neither a Word .docx nor an Excel .xlsx document")


def _xlsx_format(path: Path) -> str:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        for row in book.worksheets[0].iter_rows(max_row=10, values_only=True):
            cells = {str(cell).strip().lower() for cell in row if cell is not None}
            if "code" in cells and "text" in cells and "state under review" in cells:
                return "portal-xlsx"
            if "ohchr annotation id" in cells:
                return "uhri-xlsx"
    finally:
        book.close()
    raise ImportFileError(f"{path}: an Excel workbook without a UHRI or UPR Portal header row")


def _text_format(path: Path) -> str:
    first_line = _head(path, 4096).replace(b"\r", b"\n").split(b"\n", 1)[0].decode("utf-8", "replace").lower()
    columns = {column.strip().strip('"').lstrip("\ufeff") for column in first_line.split(",")}
    if {"code", "text", "state under review"} <= columns:
        return "portal-csv"
    if {"to", "text", "from"} <= columns or {"sur", "recommendation", "rs"} <= columns:
        return "upr-info-csv"
    raise ImportFileError(
        f"{path}: format not recognised (expected a UPR Info CSV/XLS, an OHCHR thematic list .docx, "
        "a UHRI .xlsx or a UPR Portal export); pass --format to name it"
    )
