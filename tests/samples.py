"""Small but real files of each type an activity's attachment may have, and disguised ones, made
in memory for the content sniffing tests (nothing is read from disk)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib


def pdf() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
        b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png() -> bytes:
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8 bit RGB
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", pixels)
        + _png_chunk(b"IEND", b"")
    )


def jpeg() -> bytes:
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0 + b"\xff\xd9"


def gif() -> bytes:
    return (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff"
        b"!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )


def webp() -> bytes:
    # A 1x1 lossless VP8L bitstream.
    bitstream = bytes.fromhex("2f0000000007d0ff0100")
    chunk = b"VP8L" + struct.pack("<I", len(bitstream)) + bitstream
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def tiff() -> bytes:
    # Little endian, one IFD with width, height and one strip of one byte.
    entries = [
        (256, 3, 1, 1),  # ImageWidth
        (257, 3, 1, 1),  # ImageLength
        (258, 3, 1, 8),  # BitsPerSample
        (262, 3, 1, 1),  # Photometric: black is zero
        (273, 4, 1, 8 + 2 + 6 * 12 + 4),  # StripOffsets: after the IFD
        (279, 4, 1, 1),  # StripByteCounts
    ]
    ifd = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        ifd += struct.pack("<HHII", tag, kind, count, value)
    return b"II*\x00" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0) + b"\x80"


def _entry(name: str, compress_type: int = zipfile.ZIP_DEFLATED) -> zipfile.ZipInfo:
    """A zip entry with a fixed time: a sample is the same bytes each time it is made."""
    entry = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    entry.compress_type = compress_type
    return entry


_OOXML = {
    "docx": (
        "word/document.xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    ),
    "xlsx": ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
    "pptx": (
        "ppt/presentation.xml",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
    ),
}


def ooxml(kind: str) -> bytes:
    """A docx, xlsx or pptx: its content types, the package relationship and the main part."""
    part, content_type = _OOXML[kind]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            _entry("[Content_Types].xml"),
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/{part}" ContentType="{content_type}"/></Types>',
        )
        archive.writestr(
            _entry("_rels/.rels"),
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            f'relationships/officeDocument" Target="{part}"/></Relationships>',
        )
        archive.writestr(_entry(part), '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><root/>')
    return buffer.getvalue()


_ODF = {
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
}


def odf(kind: str) -> bytes:
    """An odt, ods or odp: the uncompressed `mimetype` entry first, as the standard requires."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_entry("mimetype", zipfile.ZIP_STORED), _ODF[kind])
        archive.writestr(
            _entry("META-INF/manifest.xml"),
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
            f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{_ODF[kind]}"/>'
            "</manifest:manifest>",
        )
        archive.writestr(
            _entry("content.xml"), '<?xml version="1.0" encoding="UTF-8"?><office:document-content/>'
        )
    return buffer.getvalue()


# The main stream of each legacy format, and how that stream starts (Word's FIB, Excel's BOF
# record, PowerPoint's current-user atom).
_OLE = {
    "doc": ("WordDocument", b"\xec\xa5\xc1\x00" + bytes(508)),
    "xls": ("Workbook", b"\x09\x08\x10\x00\x00\x06\x05\x00" + bytes(504)),
    "ppt": ("PowerPoint Document", b"\x00\x00\xe8\x03" + bytes(508)),
}
_FREE = 0xFFFFFFFF
_END = 0xFFFFFFFE
_FAT = 0xFFFFFFFD
_NO_STREAM = 0xFFFFFFFF


def _ole_entry(name: str, kind: int, start: int, size: int, child: int = _NO_STREAM) -> bytes:
    encoded = (name + "\x00").encode("utf-16-le")
    return (
        encoded.ljust(64, b"\x00")
        + struct.pack("<HBB", len(encoded), kind, 1)  # name length, type, black
        + struct.pack("<III", _NO_STREAM, _NO_STREAM, child)  # left, right, child
        + bytes(16 + 4 + 16)  # class id, state bits, times
        + struct.pack("<IQ", start, size)
    )


def ole(kind: str) -> bytes:
    """A compound file (version 3, 512-byte sectors) with the format's main stream: sector 0 the
    stream (padded to 4096 bytes, above the mini stream cutoff), then the directory, then the FAT."""
    stream_name, stream_head = _OLE[kind]
    stream = stream_head.ljust(4096, b"\x00")
    stream_sectors = len(stream) // 512
    directory_sector = stream_sectors
    fat_sector = stream_sectors + 1
    fat = [*range(1, stream_sectors), _END, _END, _FAT]
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat).ljust(512, b"\xff")
    directory = (
        _ole_entry("Root Entry", 5, _END, 0, child=1) + _ole_entry(stream_name, 2, 0, len(stream))
    ).ljust(512, b"\x00")
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + bytes(16)
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)  # minor, major, byte order, sector shifts
        + bytes(6)
        + struct.pack("<IIIIIIIII", 0, 1, directory_sector, 0, 4096, _END, 0, _END, 0)
        + struct.pack("<I", fat_sector)
        + struct.pack("<108I", *([_FREE] * 108))
    )
    assert len(header) == 512
    return header + stream + directory + fat_bytes


ALLOWED = {
    "pdf": (pdf, "application/pdf"),
    "png": (png, "image/png"),
    "jpg": (jpeg, "image/jpeg"),
    "gif": (gif, "image/gif"),
    "webp": (webp, "image/webp"),
    "tif": (tiff, "image/tiff"),
    "docx": (
        lambda: ooxml("docx"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    "xlsx": (lambda: ooxml("xlsx"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pptx": (
        lambda: ooxml("pptx"),
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    "odt": (lambda: odf("odt"), "application/vnd.oasis.opendocument.text"),
    "ods": (lambda: odf("ods"), "application/vnd.oasis.opendocument.spreadsheet"),
    "odp": (lambda: odf("odp"), "application/vnd.oasis.opendocument.presentation"),
    "doc": (lambda: ole("doc"), "application/msword"),
    "xls": (lambda: ole("xls"), "application/vnd.ms-excel"),
    "ppt": (lambda: ole("ppt"), "application/vnd.ms-powerpoint"),
}


def exe() -> bytes:
    """The start of a Windows program (DOS stub and PE header)."""
    stub = b"MZ" + bytes(58) + struct.pack("<I", 64)
    return stub + b"PE\x00\x00" + struct.pack("<HH", 0x14C, 1) + bytes(200)


def html() -> bytes:
    return b"<!DOCTYPE html><html><head><title>Invoice</title></head><body><script>alert(1)</script></body></html>"


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(_entry("readme.txt"), "not an office document")
        archive.writestr(_entry("tool.exe"), exe())
    return buffer.getvalue()
