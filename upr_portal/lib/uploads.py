"""Uploaded files: a size limit enforced while they stream in, their type sniffed from their
content, identifying metadata stripped, and storage under random names.

How to accept a file in new code (docs/security.md has the whole story):

    kind = check_upload(upload, allowed=DOCUMENTS)        # in the form's clean_<field>
    name = store_upload(upload, allowed=DOCUMENTS, folder="attachments")  # in the service

`LimitedUploadHandler` (first in FILE_UPLOAD_HANDLERS) stops reading a request body as soon
as one file in it passes the limit (settings.UPLOAD_MAX_BYTES, or the view's own entry in
UPLOAD_MAX_BYTES_BY_VIEW); the view then calls `report_refused_upload(request, form)` so
the form says why its file is missing. SVG and HTML are always refused: a browser runs the
scripts inside them when they are opened from our domain.
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from xml.etree import ElementTree

import filetype
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.forms.utils import ErrorDict
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

# Bytes read from the start of a file to tell its type.
SNIFF_BYTES = 8192
# Kinds per use. "xls" is any legacy Office (OLE compound) file; "csv" any plain text.
IMAGES = frozenset({"jpg", "png", "gif", "webp"})
OFFICE = frozenset({"docx", "xlsx", "pptx"})
DOCUMENTS = frozenset({"pdf", "csv", *OFFICE})
IMPORT_KINDS = frozenset({"csv", "xls", "xlsx", "docx"})
# Never accepted, whatever a use allows: opened from our domain they run scripts.
REFUSED = frozenset({"svg", "html", "xml"})

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MARKUP = (b"<!doctype", b"<html", b"<svg", b"<?xml", b"<script", b"<body", b"<head", b"<iframe")
# An Office file may expand to this many times the size of the upload, and no more (zip bombs).
_MAX_EXPANSION = 20


@dataclass(frozen=True)
class Kind:
    extension: str
    mime: str


# --- size, while streaming --------------------------------------------------------------------


@dataclass(frozen=True)
class RefusedUpload:
    field_name: str
    file_name: str
    limit: int

    @property
    def message(self) -> str:
        return _("The file is larger than %(limit)s.") % {"limit": filesizeformat(self.limit)}


def upload_limit(request) -> int:
    """The largest file `request` may carry: the setting that UPLOAD_MAX_BYTES_BY_VIEW names
    for its view, else UPLOAD_MAX_BYTES. URLs are resolved before CSRF reads the body, so the
    view is known when the upload streams in."""
    match = getattr(request, "resolver_match", None)
    setting = getattr(settings, "UPLOAD_MAX_BYTES_BY_VIEW", {}).get(match.view_name if match else None)
    return getattr(settings, setting or "UPLOAD_MAX_BYTES")


class LimitedUploadHandler(FileUploadHandler):
    """Counts each file's bytes as they arrive and stops the upload past the limit.

    The rest of the request body is not read (`connection_reset=True`), so a client cannot
    make the server write gigabytes to a temporary file. The refusal is kept on the request
    (`request.refused_upload`) for `report_refused_upload`.
    """

    def __init__(self, request=None) -> None:
        super().__init__(request)
        self.limit = upload_limit(request) if request is not None else settings.UPLOAD_MAX_BYTES
        self.received = 0

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            if self.request is not None:
                self.request.refused_upload = RefusedUpload(self.field_name, self.file_name, self.limit)
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handlers store the file


def report_refused_upload(request, form: forms.Form) -> None:
    """Marks `form` invalid with the reason when `LimitedUploadHandler` stopped its upload.

    The fields after the file in the request were never read, so the form is bound to what
    arrived (perhaps nothing) and shows that one error, not "required" for the unread ones.
    """
    refused = getattr(request, "refused_upload", None)
    if refused is None:
        return
    form.is_bound, form.data, form.files = True, request.POST, {}
    form.full_clean()
    form._errors = ErrorDict({refused.field_name: form.error_class([refused.message])})
    form.cleaned_data = {}


# --- type, from the content -------------------------------------------------------------------


def sniff(upload) -> Kind | None:
    """The file's type from its first bytes (never its name); None when unknown."""
    head = _head(upload)
    guessed = filetype.guess(head)
    if guessed is not None:
        return Kind(guessed.extension, guessed.mime)
    if head.startswith(_OLE_MAGIC):
        return Kind("xls", "application/vnd.ms-excel")
    if _is_text(head):
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        if start.startswith(_MARKUP) or b"<svg" in head.lower():
            return Kind("svg" if b"<svg" in head.lower() else "html", "text/html")
        return Kind("csv", "text/csv")
    return None


def check_upload(upload, *, allowed: Iterable[str], max_bytes: int | None = None) -> Kind:
    """The upload's sniffed kind, or ValidationError when it is too large, SVG/HTML, or not
    one of the `allowed` kinds (extensions such as "pdf", "docx", "csv", "jpg")."""
    limit = max_bytes if max_bytes is not None else settings.UPLOAD_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("The file is %(size)s; the limit is %(limit)s."),
            code="too_large",
            params={"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
        )
    kind = sniff(upload)
    if kind is not None and kind.extension in REFUSED:
        raise ValidationError(_("SVG and HTML files are not accepted."), code="refused_type")
    allowed = frozenset(allowed)
    if kind is None or kind.extension not in allowed:
        raise ValidationError(
            _("This kind of file is not accepted here. Accepted: %(kinds)s."),
            code="wrong_type",
            params={"kinds": ", ".join(sorted(allowed))},
        )
    return kind


def _head(upload) -> bytes:
    position = upload.tell() if hasattr(upload, "tell") else 0
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(position)
    return head


def _is_text(head: bytes) -> bool:
    """No NUL byte and almost no control characters: text in some 8-bit encoding or UTF-8."""
    if not head or b"\x00" in head:
        return False
    controls = sum(1 for byte in head if byte < 32 and byte not in b"\t\n\r\f")
    return controls <= len(head) // 100


# --- metadata -----------------------------------------------------------------------------------


def strip_metadata(data: bytes, kind: Kind) -> bytes:
    """`data` without what identifies its author or place: EXIF/GPS of images (orientation
    applied first), /Info and XMP of PDFs, author fields of Office files. Other kinds as
    they are (CSV has none). Raises ValidationError when the file cannot be read."""
    try:
        if kind.extension in IMAGES:
            return _clean_image(data, kind)
        if kind.extension == "pdf":
            return _clean_pdf(data)
        if kind.extension in OFFICE:
            return _clean_office(data)
    except ValidationError:
        raise
    except Exception as exc:  # any parser error means a damaged or hostile file
        raise ValidationError(_("The file could not be read."), code="unreadable") from exc
    return data


def _clean_image(data: bytes, kind: Kind) -> bytes:
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as image:
        image.load()
        upright = ImageOps.exif_transpose(image)  # the orientation EXIF said, applied to pixels
        # EXIF, GPS, XMP, ICC profile, comments: nothing is written back but transparency.
        upright.info = {key: value for key, value in image.info.items() if key == "transparency"}
        output = io.BytesIO()
        pil_format = {"jpg": "JPEG", "png": "PNG", "gif": "GIF", "webp": "WEBP"}[kind.extension]
        if pil_format == "JPEG" and upright.mode not in ("RGB", "L"):
            upright = upright.convert("RGB")
        upright.save(output, pil_format, **({"quality": 90} if pil_format in ("JPEG", "WEBP") else {}))
    return output.getvalue()


def _clean_pdf(data: bytes) -> bytes:
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        raise ValidationError(_("Encrypted PDF files are not accepted."), code="encrypted")
    writer = PdfWriter(clone_from=reader)
    writer.metadata = None  # the /Info dictionary: author, creator, producer, dates
    writer._root_object.pop("/Metadata", None)  # XMP of the document
    for page in writer.pages:
        page.pop("/Metadata", None)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


_CORE_DROPPED = {
    "{http://purl.org/dc/elements/1.1/}creator",
    "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}lastModifiedBy",
    "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}lastPrinted",
}
_APP_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/extended-properties}"
_APP_DROPPED = {f"{_APP_NS}Company", f"{_APP_NS}Manager", f"{_APP_NS}HyperlinkBase", f"{_APP_NS}Template"}
_NAMESPACES = {
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "dcmitype": "http://purl.org/dc/dcmitype/",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "vt": "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes",
    "ep": _APP_NS[1:-1],
}


# Who wrote comments and tracked changes: Word's w:author/w:initials (document, comments,
# people.xml), PowerPoint's comment authors, Excel's comment authors and threaded-comment persons.
_PEOPLE_PARTS = ("word/", "ppt/comment", "ppt/authors", "xl/comments", "xl/persons", "xl/threadedComments")
_PEOPLE = re.compile(rb'(\b(?:\w+:)?(?:author|initials|displayName|userId|providerId))="[^"]*"')
_PPT_NAME = re.compile(rb'(\sname)="[^"]*"')  # only in PowerPoint's author lists: elsewhere names are fonts, styles
_XLSX_AUTHOR = re.compile(rb"<author>[^<]*</author>")


def _clean_office(data: bytes) -> bytes:
    """The same package with docProps/core.xml and app.xml rewritten without the people, and
    the names on comments and tracked changes blanked."""
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        if sum(info.file_size for info in package.infolist()) > _MAX_EXPANSION * max(len(data), 1024 * 1024):
            raise ValidationError(_("The file could not be read."), code="unreadable")
        with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as cleaned:
            for info in package.infolist():
                content = package.read(info)
                if info.filename == "docProps/core.xml":
                    content = _without(content, _CORE_DROPPED)
                elif info.filename == "docProps/app.xml":
                    content = _without(content, _APP_DROPPED)
                elif info.filename.endswith(".xml") and info.filename.startswith(_PEOPLE_PARTS):
                    content = _XLSX_AUTHOR.sub(b"<author></author>", _PEOPLE.sub(rb'\1=""', content))
                    if info.filename.startswith(("ppt/comment", "ppt/authors")):
                        content = _PPT_NAME.sub(rb'\1=""', content)
                cleaned.writestr(info, content)
    return output.getvalue()


def _without(xml: bytes, dropped: set[str]) -> bytes:
    for prefix, uri in _NAMESPACES.items():  # the usual prefixes rather than ns0, ns1…
        ElementTree.register_namespace(prefix, uri)
    root = ElementTree.fromstring(xml)  # noqa: S314 - expat resolves no external entities
    for element in [child for child in root if child.tag in dropped]:
        root.remove(element)
    return ElementTree.tostring(root, encoding="UTF-8", xml_declaration=True)


# --- storage ---------------------------------------------------------------------------------------


def store_upload(upload, *, allowed: Iterable[str], folder: str, max_bytes: int | None = None) -> str:
    """Checks `upload`, strips its metadata and saves it under MEDIA_ROOT as
    `<folder>/<random hex>.<sniffed extension>`; returns the storage name. Keep the name the
    user gave (if shown at all) in the database, never in the path."""
    kind = check_upload(upload, allowed=allowed, max_bytes=max_bytes)
    upload.seek(0)
    data = strip_metadata(upload.read(), kind)
    return default_storage.save(f"{folder}/{uuid.uuid4().hex}.{kind.extension}", ContentFile(data))
