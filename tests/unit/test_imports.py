"""Import rules on an in-memory store: reading rows, skipped repeats and known addresses,
a write that finds an address claimed meanwhile, resuming."""

from __future__ import annotations

import io
from typing import Any

import pytest

from pforte.contacts import imports
from pforte.core.errors import DomainError
from pforte.core.fields import Language
from tests.fakes import ClaimingImportStore


def rows(data: bytes) -> list[imports.Row]:
    return list(imports.read_rows(lambda: io.BytesIO(data)))


def run(store: ClaimingImportStore, data: bytes, **kwargs: Any) -> imports.ImportReport:
    return imports.import_contacts(
        store, "acme", imports.read_rows(lambda: io.BytesIO(data)), Language.DE, **kwargs
    )


def test_a_stray_byte_past_the_sample_fails_its_row_only() -> None:
    head = b"name,email\n" + b"".join(b"P%d,p%d@example.com\n" % (i, i) for i in range(4000))
    assert len(head) > imports.SAMPLE_BYTES
    read = rows(head + b"\x81x,x@example.com\nZ\xc3\xa4,z@example.com\n")
    assert read[-2][1]["name"] == "\x81x"
    assert read[-1][1]["name"] == "Zä"


def test_a_multipart_body_is_not_csv() -> None:
    with pytest.raises(DomainError) as raised:
        rows(b'--x\r\nContent-Disposition: form-data; name="file"\r\n\r\nname,email\r\n--x--\r\n')
    assert "multipart" in raised.value.message


def test_repeats_and_known_addresses_are_listed_in_line_order() -> None:
    store = ClaimingImportStore()
    run(store, b"name,email\nAnna,anna@example.com\n")
    report = run(store, b"name;email\nBen;ben@example.com\nAnna;ANNA@example.com\nBen;BEN@example.com\n")
    assert (report.imported, report.skipped) == (1, 2)
    assert [(s.line, s.reason) for s in report.skipped_rows] == [
        (3, "already_a_contact"),
        (4, "repeated_in_file"),
    ]


def test_an_address_claimed_between_read_and_write_is_skipped() -> None:
    store = ClaimingImportStore()
    store.claimed_meanwhile.add(("acme", "ben@example.com"))
    report = run(store, b"name,email\nAnna,anna@example.com\nBen,ben@example.com\n")
    assert (report.imported, report.skipped) == (1, 1)
    assert [(s.line, s.email) for s in report.skipped_rows] == [(3, "ben@example.com")]
    assert set(store.contacts) == {("acme", "anna@example.com")}


def test_a_resumed_import_goes_on_after_the_recorded_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imports, "CHUNK_ROWS", 2)
    data = (
        b"name,email\n"
        + b"".join(b"P%d,p%d@example.com\n" % (i, i) for i in range(5))
        + b"Again,p0@example.com\n"
    )
    first = ClaimingImportStore()
    stands: list[imports.Resume] = []
    run(first, data, on_progress=lambda _, resume: stands.append(resume.model_copy(deep=True)))
    resumed = ClaimingImportStore()
    resumed.contacts = {
        k: v for k, v in first.contacts.items() if k[1] in {"p0@example.com", "p1@example.com"}
    }
    report = run(resumed, data, resume=stands[0])
    assert (report.imported, report.skipped) == (5, 1)
    assert report.skipped_rows[0].reason == "repeated_in_file"
    assert len(resumed.contacts) == 5
