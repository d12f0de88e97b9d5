"""upr_portal.lib.uploads: size while streaming, type from content, metadata, random names.

Every file is made here, small and real: a JPEG with GPS in its EXIF, a PDF and a DOCX
with an author, an executable renamed .pdf.
"""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http.multipartparser import MultiPartParser
from django.test import RequestFactory
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from PIL import ExifTags, Image
from pypdf import PdfReader, PdfWriter

from upr_portal.lib.uploads import (
    DOCUMENTS,
    IMAGES,
    IMPORT_KINDS,
    Kind,
    LimitedUploadHandler,
    check_upload,
    sniff,
    store_upload,
    strip_metadata,
)

# A Windows executable's first bytes ("MZ", then the PE header offset): what filetype knows it by.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(200)


def jpeg_with_gps() -> bytes:
    """A 40×20 JPEG whose EXIF says: rotate 90° (orientation 6), a camera make, a GPS position."""
    image = Image.new("RGB", (40, 20), "red")
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "Canon"
    exif[ExifTags.Base.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (48.0, 51.0, 29.0)}
    output = io.BytesIO()
    image.save(output, "JPEG", exif=exif)
    return output.getvalue()


def pdf_with_author() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.add_metadata({"/Author": "Jane Activist", "/Creator": "Laptop of Jane", "/Title": "Report"})
    writer.xmp_metadata = None
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def docx_with_author() -> bytes:
    document = docx.Document()
    document.add_paragraph("The findings.")
    document.core_properties.author = "Jane Activist"
    document.core_properties.last_modified_by = "Jane Activist"
    document.core_properties.title = "Findings"
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


def upload(content: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


# --- sniffing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "name", "extension"),
    [
        (jpeg_with_gps(), "photo.pdf", "jpg"),
        (pdf_with_author(), "report.jpg", "pdf"),
        (docx_with_author(), "findings.txt", "docx"),
        (EXE, "invoice.pdf", "exe"),
        ("État;Recommandation\r\nFrance;Ratifier\r\n".encode("mac_roman"), "list.xlsx", "csv"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "logo.png", "svg"),
        (b"\n<!DOCTYPE html><html><script>alert(1)</script>", "page.csv", "html"),
    ],
)
def test_the_kind_comes_from_the_content_not_the_name(content, name, extension):
    assert sniff(upload(content, name)).extension == extension


def test_an_executable_renamed_pdf_is_refused():
    with pytest.raises(ValidationError) as refused:
        check_upload(upload(EXE, "report.pdf"), allowed=DOCUMENTS)

    assert refused.value.code == "wrong_type"
    assert refused.value.messages == ["This kind of file is not accepted here. Accepted: csv, docx, pdf, pptx, xlsx."]


@pytest.mark.parametrize(
    "content",
    [b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", b"<html><body>hi</body></html>"],
)
def test_svg_and_html_are_refused_even_where_text_is_allowed(content):
    with pytest.raises(ValidationError) as refused:
        check_upload(upload(content, "data.csv"), allowed=IMPORT_KINDS)

    assert refused.value.code == "refused_type"


def test_an_oversize_file_is_refused_by_the_check(settings):
    settings.UPLOAD_MAX_BYTES = 10

    with pytest.raises(ValidationError) as refused:
        check_upload(upload(b"a,b\n1,2\n3,4\n", "data.csv"), allowed=DOCUMENTS)

    assert refused.value.code == "too_large"
    assert refused.value.messages == ["The file is 12\xa0bytes; the limit is 10\xa0bytes."]


def test_the_real_import_files_are_recognised():
    from pathlib import Path

    data = Path(__file__).resolve().parent.parent / "data"
    kinds = {
        path.name: check_upload(upload(path.read_bytes(), path.name), allowed=IMPORT_KINDS, max_bytes=10**9).extension
        for path in (
            data / "upr_info" / "upr_info_sample_5_states.csv",
            data / "upr_info" / "voluntary.xls",
            data / "uhri" / "uhri_sample.xlsx",
            data / "ohchr" / "Matrix_recommendations_2013.docx",
        )
    }

    assert kinds == {
        "upr_info_sample_5_states.csv": "csv",
        "voluntary.xls": "xls",
        "uhri_sample.xlsx": "xlsx",
        "Matrix_recommendations_2013.docx": "docx",
    }


# --- size, while streaming ------------------------------------------------------------------------


class CountingStream(io.BytesIO):
    """A request body that remembers how many bytes were read from it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def test_an_oversize_stream_is_stopped_without_reading_it_all(settings):
    settings.UPLOAD_MAX_BYTES = 100 * 1024
    big = SimpleUploadedFile("big.csv", b"x" * (5 * 1024 * 1024))
    body = encode_multipart(BOUNDARY, {"file": big, "note": "after"})
    stream = CountingStream(body)
    request = RequestFactory().post("/", content_type=MULTIPART_CONTENT)
    meta = {"CONTENT_TYPE": MULTIPART_CONTENT, "CONTENT_LENGTH": str(len(body))}
    handler = LimitedUploadHandler(request)
    parser = MultiPartParser(meta, stream, [handler], "utf-8")

    _post, files = parser.parse()

    assert "file" not in files
    assert request.refused_upload.limit == 100 * 1024
    assert request.refused_upload.field_name == "file"
    assert stream.bytes_read < 400 * 1024  # of 5 MiB: the limit, plus the chunks in flight


def test_a_form_reports_the_stopped_upload_as_its_only_error(settings):
    from django import forms

    from upr_portal.lib.uploads import report_refused_upload

    class Form(forms.Form):
        file = forms.FileField()
        note = forms.CharField()

    settings.UPLOAD_MAX_BYTES = 1000
    request = RequestFactory().post("/", {"file": SimpleUploadedFile("big.csv", b"x" * 5000), "note": "unread"})
    form = Form(request.POST or None, request.FILES or None)  # nothing arrived: unbound

    report_refused_upload(request, form)

    assert not form.is_valid()
    assert form.errors == {"file": ["The file is larger than 1000\xa0bytes."]}


def test_an_upload_under_the_limit_goes_through(settings):
    settings.UPLOAD_MAX_BYTES = 100 * 1024
    request = RequestFactory().post("/", {"file": SimpleUploadedFile("ok.csv", b"a,b\n1,2\n")})

    assert request.FILES["file"].read() == b"a,b\n1,2\n"
    assert not hasattr(request, "refused_upload")


# --- metadata ---------------------------------------------------------------------------------------


def test_a_jpeg_loses_its_exif_and_gps_and_keeps_its_orientation():
    cleaned = strip_metadata(jpeg_with_gps(), Kind("jpg", "image/jpeg"))

    with Image.open(io.BytesIO(cleaned)) as image:
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info
        assert image.size == (20, 40)  # turned upright, as orientation 6 asked
    assert b"Canon" not in cleaned


def test_a_pdf_loses_its_author_and_xmp():
    original = pdf_with_author()
    assert PdfReader(io.BytesIO(original)).metadata["/Author"] == "Jane Activist"

    cleaned = strip_metadata(original, Kind("pdf", "application/pdf"))

    reader = PdfReader(io.BytesIO(cleaned))
    assert reader.metadata is None or "/Author" not in reader.metadata
    assert "/Metadata" not in reader.trailer["/Root"]
    assert len(reader.pages) == 1
    assert b"Jane" not in cleaned


def test_a_docx_loses_its_author_and_keeps_its_text():
    cleaned = strip_metadata(docx_with_author(), Kind("docx", "application/vnd.openxmlformats"))

    document = docx.Document(io.BytesIO(cleaned))
    assert document.core_properties.author == ""
    assert document.core_properties.last_modified_by == ""
    assert document.core_properties.title == "Findings"
    assert [paragraph.text for paragraph in document.paragraphs] == ["The findings."]
    with zipfile.ZipFile(io.BytesIO(cleaned)) as package:
        assert b"Jane" not in package.read("docProps/core.xml")


def test_a_docx_loses_the_names_on_its_comments_and_keeps_its_fonts():
    document = docx.Document()
    paragraph = document.add_paragraph("Text")
    document.add_comment(paragraph.runs, text="Check this", author="Jane Activist", initials="JA")
    original = io.BytesIO()
    document.save(original)

    cleaned = strip_metadata(original.getvalue(), Kind("docx", "application/vnd.openxmlformats"))

    with zipfile.ZipFile(io.BytesIO(cleaned)) as package, zipfile.ZipFile(original) as before:
        comments = package.read("word/comments.xml")
        assert b'w:author="" w:initials=""' in comments
        assert b"Jane" not in comments and b"Check this" in comments
        assert package.read("word/fontTable.xml") == before.read("word/fontTable.xml")
    assert [comment.text for comment in docx.Document(io.BytesIO(cleaned)).comments] == ["Check this"]


def test_an_xlsx_loses_its_creator_and_company():
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "value"
    workbook.properties.creator = "Jane Activist"
    workbook.properties.lastModifiedBy = "Jane Activist"
    output = io.BytesIO()
    workbook.save(output)
    with zipfile.ZipFile(io.BytesIO(output.getvalue())) as package:
        app = package.read("docProps/app.xml").replace(b"</Properties>", b"<Company>Secret CSO</Company></Properties>")
        parts = {info.filename: package.read(info) for info in package.infolist()} | {"docProps/app.xml": app}
    rebuilt = io.BytesIO()
    with zipfile.ZipFile(rebuilt, "w") as package:
        for name, content in parts.items():
            package.writestr(name, content)

    cleaned = strip_metadata(rebuilt.getvalue(), Kind("xlsx", "application/vnd.openxmlformats"))

    with zipfile.ZipFile(io.BytesIO(cleaned)) as package:
        assert b"Jane" not in package.read("docProps/core.xml")
        assert b"Secret CSO" not in package.read("docProps/app.xml")
    assert openpyxl.load_workbook(io.BytesIO(cleaned)).active["A1"].value == "value"


def test_a_damaged_file_is_refused_as_unreadable():
    with pytest.raises(ValidationError) as refused:
        strip_metadata(b"%PDF-1.7\nnot really", Kind("pdf", "application/pdf"))

    assert refused.value.code == "unreadable"


# --- storage -----------------------------------------------------------------------------------------


def test_store_upload_saves_a_cleaned_copy_under_a_random_name_in_media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STATIC_ROOT = tmp_path / "static"

    name = store_upload(upload(jpeg_with_gps(), "../../home/jane/me.png"), allowed=IMAGES, folder="photos")

    folder, file_name = name.split("/")
    assert folder == "photos"
    assert len(file_name) == len("0123456789abcdef0123456789abcdef.jpg") and file_name.endswith(".jpg")
    stored = settings.MEDIA_ROOT / name
    assert stored.is_file()
    assert b"Canon" not in stored.read_bytes()
    assert not (tmp_path / "static").exists()


def test_media_root_is_outside_static_root():
    from django.conf import settings

    media, static = settings.MEDIA_ROOT.resolve(), settings.STATIC_ROOT.resolve()
    assert not media.is_relative_to(static)
    assert not static.is_relative_to(media)


# --- the admin's import upload -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_import_refuses_an_executable_named_csv(client, django_user_model, settings, tmp_path):
    from django.urls import reverse

    from recommendations.models import ImportRun

    settings.MEDIA_ROOT = tmp_path
    client.force_login(django_user_model.objects.create_superuser(username="a", email="a@example.org", password=None))

    response = client.post(
        reverse("admin:recommendations_importrun_import"),
        {"file": upload(EXE, "recommendations.csv"), "format": "auto"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "file": ["This kind of file is not accepted here. Accepted: csv, docx, xls, xlsx."]
    }
    assert not ImportRun.objects.exists()
    assert not list(tmp_path.iterdir())


@pytest.mark.django_db
def test_the_admin_import_has_its_own_larger_limit_while_streaming(client, django_user_model, settings, tmp_path):
    from pathlib import Path

    from django.urls import reverse

    from recommendations.models import ImportRun

    settings.MEDIA_ROOT = tmp_path
    settings.UPLOAD_MAX_BYTES = 1000  # every other upload; the import keeps IMPORT_MAX_UPLOAD_BYTES
    sample = Path(__file__).resolve().parent.parent / "data" / "upr_info" / "upr_info_sample_5_states.csv"
    client.force_login(django_user_model.objects.create_superuser(username="a", email="a@example.org", password=None))

    response = client.post(
        reverse("admin:recommendations_importrun_import"),
        {"file": upload(sample.read_bytes(), "sample.csv"), "format": "auto"},
    )

    assert response.status_code == 302
    assert ImportRun.objects.get().filename == "sample.csv"
