"""The type of an activity's attachment, decided by its bytes alone: the allowed types, and files
that pretend to be one of them."""

from __future__ import annotations

import io
import zipfile

import pytest

from pforte.activities.content import DOCX, Detected, detect
from pforte.activities.service import parse_attachment_key
from pforte.jobs.service import FileProblem
from tests import samples


@pytest.mark.parametrize("extension", sorted(samples.ALLOWED))
def test_each_allowed_type_is_recognised_by_its_content(extension: str) -> None:
    make, content_type = samples.ALLOWED[extension]
    assert detect(make()) == Detected(content_type)


def refused(data: bytes) -> FileProblem:
    found = detect(data)
    assert isinstance(found, FileProblem), found
    return found


def zipped(entries: dict[str, str], *, stored_first: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, (name, text) in enumerate(entries.items()):
            compress = zipfile.ZIP_STORED if stored_first and index == 0 else zipfile.ZIP_DEFLATED
            archive.writestr(name, text, compress_type=compress)
    return buffer.getvalue()


def test_a_program_is_refused_and_the_reason_names_what_it_is() -> None:
    problem = refused(samples.exe())
    assert problem.code == "type_not_allowed"
    assert "application/x-msdownload" in problem.message


@pytest.mark.parametrize(
    "data",
    [
        samples.html(),
        b"just some text",
        b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'/>",
        b"\x00" * 64,
    ],
)
def test_unrecognised_content_is_refused(data: bytes) -> None:
    assert refused(data).code == "type_not_allowed"


def test_a_zip_that_is_no_office_document_is_refused() -> None:
    problem = refused(samples.plain_zip())
    assert problem.code == "type_not_allowed"
    assert "zip" in problem.message


def test_a_macro_enabled_word_document_is_refused() -> None:
    content_types = (
        '<Types><Override PartName="/word/document.xml" '
        'ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/></Types>'
    )
    assert refused(zipped({"[Content_Types].xml": content_types, "word/document.xml": "<w/>"})).code == (
        "type_not_allowed"
    )


def test_a_package_declaring_two_main_parts_is_refused() -> None:
    assert detect(samples.ooxml("docx")) == Detected(DOCX)
    content_types = (
        "<Types>"
        '<Override ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
        '<Override ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        "</Types>"
    )
    assert refused(zipped({"[Content_Types].xml": content_types})).code == "type_not_allowed"


def test_an_opendocument_needs_its_mimetype_first_and_known() -> None:
    odt = "application/vnd.oasis.opendocument.text"
    assert detect(zipped({"mimetype": odt, "content.xml": "<x/>"}, stored_first=True)) == Detected(odt)
    assert refused(zipped({"content.xml": "<x/>", "mimetype": odt})).code == "type_not_allowed"
    drawing = "application/vnd.oasis.opendocument.graphics"
    assert refused(zipped({"mimetype": drawing}, stored_first=True)).code == "type_not_allowed"


def test_a_damaged_zip_is_refused() -> None:
    assert refused(samples.ooxml("docx")[:200]).code == "damaged_file"


def test_a_compound_file_needs_a_known_main_stream() -> None:
    doc = samples.ole("doc")
    other = doc.replace("WordDocument".encode("utf-16-le"), "Installation".encode("utf-16-le"))
    assert refused(other).code == "type_not_allowed"


def test_a_damaged_compound_file_is_refused_without_details_of_the_parser() -> None:
    problem = refused(samples.ole("xls")[:600])
    assert problem.code == "damaged_file"
    assert problem.message == "The file is a damaged compound file."


def test_a_pdf_without_its_end_is_refused() -> None:
    assert refused(samples.pdf()[:40]).code == "not_a_pdf"


def test_only_keys_below_a_contacts_attachments_are_attachments() -> None:
    contact, activity = "01J00000000000000000000000", "01J00000000000000000000001"
    assert parse_attachment_key(f"tenants/acme/contacts/{contact}/attachments/{activity}") == (
        "acme",
        contact,
        activity,
    )
    for key in (
        f"tenants/acme/jobs/{contact}/input.pdf",
        f"tenants/acme/contacts/{contact}/attachments/{activity}/x",
        f"tenants/acme/contacts/{contact}/attachments/not-an-id",
        f"tenants/acme/contacts/{contact}/other/{activity}",
        "tenants/acme/terms/01J00000000000000000000000.pdf",
    ):
        assert parse_attachment_key(key) is None
