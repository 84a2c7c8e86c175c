"""What an attachment is, decided by its bytes alone (never by its name or a declared type).

The sniffing library (`filetype`) recognises PDF, the images and the family of a container. A
container is then read for what it declares itself to be: an OOXML package by the main part its
`[Content_Types].xml` lists, an OpenDocument file by its leading `mimetype` entry, a legacy Office
file (an OLE compound file, read with `olefile`) by its main stream. A plain zip, a macro-enabled
document, an installer or anything unrecognised is refused, and the reason says what was found.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from pforte.jobs.files import check_content
from pforte.jobs.service import FileKind, FileProblem

PDF = "application/pdf"
IMAGES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/tiff"})
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODP = "application/vnd.oasis.opendocument.presentation"
DOC = "application/msword"
XLS = "application/vnd.ms-excel"
PPT = "application/vnd.ms-powerpoint"

# The main part's content type an OOXML package declares, per format (macro-enabled ones differ).
_OOXML_MAIN = {
    DOCX: DOCX.encode() + b".main+xml",
    XLSX: XLSX.encode() + b".main+xml",
    PPTX: PPTX.encode() + b".main+xml",
}
_ODF = frozenset({ODT, ODS, ODP})
_ZIP_FAMILY = frozenset({"application/zip", *_OOXML_MAIN, *_ODF})
# The stream a legacy Office file keeps its document in (Excel 5 wrote `Book`).
_OLE_STREAMS = {"worddocument": DOC, "workbook": XLS, "book": XLS, "powerpoint document": PPT}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# `[Content_Types].xml` is small; a bound keeps a crafted one from filling the worker's memory.
_CONTENT_TYPES_BYTES = 1024 * 1024

ALLOWED_TYPES = frozenset({PDF, *IMAGES, *_OOXML_MAIN, *_ODF, DOC, XLS, PPT})
ALLOWED_DESCRIPTION = (
    "PDF, PNG, JPEG, GIF, WebP, TIFF, Word, Excel and PowerPoint (OOXML or 97-2003) and "
    "OpenDocument text, spreadsheet and presentation"
)


@dataclass(frozen=True)
class Detected:
    content_type: str


def detect(data: bytes) -> Detected | FileProblem:
    """The allowed type these bytes are, or why they are refused."""
    import filetype  # the worker needs it, the API's requests never: loaded on first use

    if data.startswith(_OLE_MAGIC):
        return _legacy_office(data)
    guess = filetype.guess(data)
    found = guess.mime if guess is not None else None
    if found in _ZIP_FAMILY:
        return _zip_document(data, found)
    if found == PDF:
        problem = check_content(
            FileKind.INPUT, len(data), lambda start, end: data[start:] if start < 0 else data[start : end + 1]
        )
        return problem or Detected(PDF)
    if found in IMAGES:
        return Detected(found)
    return _not_allowed(found)


def _not_allowed(found: str | None) -> FileProblem:
    what = f"of type {found}" if found else "of no type that could be recognised"
    return FileProblem(
        code="type_not_allowed",
        message=f"The file is {what}; allowed are {ALLOWED_DESCRIPTION}.",
    )


def _zip_document(data: bytes, guessed: str | None) -> Detected | FileProblem:
    """An office document in a zip container, as the package declares itself; the library's more
    specific guess (it reads only the first entries) must agree."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            declared: str | None = None
            if names and names[0] == "mimetype":
                with archive.open("mimetype") as entry:
                    mimetype = entry.read(100).decode("ascii", "replace").strip()
                declared = mimetype if mimetype in _ODF else None
            elif "[Content_Types].xml" in names:
                with archive.open("[Content_Types].xml") as entry:
                    content_types = entry.read(_CONTENT_TYPES_BYTES)
                matching = [kind for kind, main in _OOXML_MAIN.items() if main in content_types]
                declared = matching[0] if len(matching) == 1 else None
    except Exception:
        return FileProblem(code="damaged_file", message="The file is a damaged zip archive.")
    if declared is None:
        return FileProblem(
            code="type_not_allowed",
            message=f"The file is a zip archive but no office document; allowed are {ALLOWED_DESCRIPTION}.",
        )
    if guessed not in (None, "application/zip", declared):
        return FileProblem(
            code="type_not_allowed",
            message="The file's parts contradict each other: it is no office document.",
        )
    return Detected(declared)


def _legacy_office(data: bytes) -> Detected | FileProblem:
    """A Word, Excel or PowerPoint 97-2003 file, by the main stream of its compound file."""
    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as compound:
            streams = {"/".join(path).lower() for path in compound.listdir(streams=True, storages=False)}
    except Exception:
        return FileProblem(code="damaged_file", message="The file is a damaged compound file.")
    found = [kind for stream, kind in _OLE_STREAMS.items() if stream in streams]
    if len(set(found)) != 1:
        return FileProblem(
            code="type_not_allowed",
            message=(
                "The file is a compound file but no Word, Excel or PowerPoint document; "
                f"allowed are {ALLOWED_DESCRIPTION}."
            ),
        )
    return Detected(found[0])
