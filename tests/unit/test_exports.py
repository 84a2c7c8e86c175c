"""Rules of exports and job files without AWS: spreadsheet-safe cells, names, content checks,
which contacts an account export holds, and what a run does when another run takes over."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pforte.contacts.service import Contact, ContactStatus
from pforte.core.csvcells import neutralise, restore
from pforte.core.fields import safe_filename
from pforte.exports import archive
from pforte.exports import service as exports
from pforte.exports.service import (
    AccountExportRequest,
    Export,
    ExportKind,
    ExportObjects,
    ExportRepository,
    ExportStatus,
    ExportWork,
    FileChunks,
    ObjectWriter,
    Outcome,
    Run,
    Superseded,
    content_disposition,
    object_key,
)
from pforte.jobs.files import check_content, file_name, parse_file_key
from pforte.jobs.service import FileKind, FileStatus, Job, JobFile
from pforte.terms.service import Terms, TermsRepository, TermsState
from tests.fakes import InMemoryContacts, InMemoryCustomFields, InMemoryJobs

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


# --- spreadsheet-safe cells -----------------------------------------------------------------------


@given(st.text())
def test_restore_undoes_neutralise_for_every_text(value: str) -> None:
    assert restore(neutralise(value)) == value


@given(st.text())
def test_a_neutralised_cell_never_starts_a_formula(value: str) -> None:
    assert neutralise(value)[:1] not in ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+2", "'=1+2"),
        ("+49 30", "'+49 30"),
        ("-x", "'-x"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("\rCR", "'\rCR"),
        ("'=quoted", "''=quoted"),
        ("'t Hooft", "'t Hooft"),
        ("Anna", "Anna"),
        ("", ""),
    ],
)
def test_formula_cells_get_one_apostrophe(value: str, cell: str) -> None:
    assert neutralise(value) == cell


# --- names ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("Anna Beispiel", "Anna Beispiel"),
        ('a/b\\c:d*e?f"g<h>i|j', "abcdefghij"),
        ("../../etc/passwd", "etcpasswd"),
        ("CON", "CON_"),
        ("   ", "customer"),
        ("Zoë Ünal", "Zoë Ünal"),
        ("x" * 300, "x" * 120),
        ("Jürgen Müller / Söhne 🎉", "Jürgen Müller Söhne 🎉"),
    ],
)
def test_file_names_are_safe_everywhere(name: str, safe: str) -> None:
    assert safe_filename(name, "customer") == safe


def test_the_download_name_is_given_in_ascii_and_exactly() -> None:
    header = content_disposition('Zoë "Ü" Ünal.zip')
    assert header.startswith('attachment; filename="Zoe U Unal.zip"')
    assert "filename*=UTF-8''Zo%C3%AB%20%22%C3%9C%22%20%C3%9Cnal.zip" in header


@pytest.mark.parametrize(
    ("name", "ascii_name"),
    [
        ("Jürgen Müller Söhne 🎉.zip", "Jurgen Muller Sohne.zip"),  # no space left before the extension
        ("🎉🎉.zip", "download.zip"),
        ("Straße.csv", "Strasse.csv"),
        ("no extension", "no extension"),
    ],
)
def test_the_ascii_download_name_keeps_a_clean_stem_and_the_extension(name: str, ascii_name: str) -> None:
    assert content_disposition(name).startswith(f'attachment; filename="{ascii_name}";')


def _export(kind: ExportKind = ExportKind.BACKUP, **more: Any) -> Export:
    return Export(
        id="01JEXPORT00000000000000000",
        tenant_id="acme",
        kind=kind,
        filename="Anna.zip",
        contact_id="01JCONTACT0000000000000000" if kind is ExportKind.BACKUP else None,
        requested_by="u",
        created_at=NOW,
        updated_at=NOW,
        **more,
    )


def test_backups_lie_below_their_customer_and_every_run_writes_its_own_object() -> None:
    export = _export()
    first, second = object_key(export, "RUN1"), object_key(export, "RUN2")
    assert first.startswith(exports.customer_exports_prefix("acme", "01JCONTACT0000000000000000"))
    assert first.endswith("/RUN1/Anna.zip")
    assert first != second


@pytest.mark.parametrize(
    ("key", "parsed"),
    [
        ("tenants/acme/jobs/J1/input.pdf", ("acme", "J1", "input.pdf")),
        ("tenants/acme/jobs/J1/support/a b.png", ("acme", "J1", "support/a b.png")),
        ("tenants/acme/jobs/J1/", None),
        ("tenants/acme/imports/I1.csv", None),
        ("other/acme/jobs/J1/input.pdf", None),
    ],
)
def test_job_file_keys_are_read_back(key: str, parsed: tuple[str, str, str] | None) -> None:
    assert parse_file_key(key) == parsed


def test_input_and_model_have_fixed_names() -> None:
    assert file_name(FileKind.INPUT, "whatever.PDF") == "input.pdf"
    assert file_name(FileKind.MODEL, "x.json") == "model.json"
    assert file_name(FileKind.SUPPORT, ".hidden") == "support/hidden"


# --- content ----------------------------------------------------------------------------------------


def _reader(data: bytes) -> Callable[[int, int], bytes]:
    def read(start: int, end: int) -> bytes:
        return data[start:] if start < 0 else data[start : end + 1]

    return read


@pytest.mark.parametrize(
    ("kind", "data", "problem"),
    [
        (FileKind.INPUT, b"%PDF-1.4\n" + b"x" * 5000 + b"%%EOF", None),
        (FileKind.INPUT, b"junk before %PDF-1.4 ... %%EOF\n", None),
        (FileKind.INPUT, b"%PDF-1.4\n" + b"x" * 5000, "not_a_pdf"),
        (FileKind.INPUT, b"PK\x03\x04 a zip", "not_a_pdf"),
        (FileKind.MODEL, b'\xef\xbb\xbf{"a": 1}', None),
        (FileKind.MODEL, b"[1, 2]", None),
        (FileKind.MODEL, b'"text"', "invalid_json"),
        (FileKind.MODEL, b"[" * 100000, "invalid_json"),
        (FileKind.SUPPORT, b"anything at all", None),
    ],
)
def test_content_is_judged_by_its_bytes(kind: FileKind, data: bytes, problem: str | None) -> None:
    found = check_content(kind, len(data), _reader(data))
    assert (found.code if found else None) == problem


# --- which contacts an account export holds ---------------------------------------------------------


def _contact(status: ContactStatus, invited: bool = False, company: str | None = None) -> Contact:
    return Contact(
        id="01JCONTACT0000000000000000",
        tenant_id="acme",
        name="Anna",
        email="anna@example.com",
        company=company,
        status=status,
        invitation_sent_at=NOW if invited else None,
        created_at=NOW,
        updated_at=NOW,
    )


@pytest.mark.parametrize("status", list(ContactStatus))
@pytest.mark.parametrize("include_inactive", [True, False])
@pytest.mark.parametrize("only_sent", [True, False])
@pytest.mark.parametrize("invited", [True, False])
def test_options_and_filters_combine_with_and(
    status: ContactStatus, include_inactive: bool, only_sent: bool, invited: bool
) -> None:
    request = AccountExportRequest(include_inactive=include_inactive, only_credentials_sent=only_sent)
    expected = (include_inactive or status in (ContactStatus.NOT_REGISTERED, ContactStatus.ACTIVE)) and (
        invited or not only_sent
    )
    assert request.includes(_contact(status, invited)) is expected
    filtered = AccountExportRequest.model_validate(
        {
            "filters": {"company": "other"},
            "include_inactive": include_inactive,
            "only_credentials_sent": only_sent,
        }
    )
    assert filtered.includes(_contact(status, invited, company="Druck AG")) is False


# --- a run, on fakes --------------------------------------------------------------------------------


class FakeExports(ExportRepository):
    def __init__(self, export: Export, superseded_after: int | None = None) -> None:
        self.export = export
        self.superseded_after = superseded_after
        self.progress_calls = 0

    def add(self, export: Export) -> None:
        self.export = export

    def get(self, tenant_id: str, export_id: str) -> Export | None:
        return self.export

    def claim(self, tenant_id: str, export_id: str, run_id: str) -> Export | None:
        before = self.export
        if before.status in exports.FINISHED:
            return None
        self.export = before.model_copy(
            update={"status": ExportStatus.RUNNING, "run_id": run_id, "upload_id": None}
        )
        return before

    def record_upload(self, export: Export, run: Run) -> None:
        self.export = self.export.model_copy(
            update={"object_key": run.object_key, "upload_id": run.upload_id}
        )

    def progress(self, export: Export, run_id: str, done_bytes: int) -> None:
        self.progress_calls += 1
        if self.superseded_after is not None and self.progress_calls > self.superseded_after:
            raise Superseded

    def finish(self, export: Export, run_id: str, outcome: Outcome) -> None:
        self.export = self.export.model_copy(
            update={
                "status": outcome.status,
                "progress": outcome.progress,
                "object_key": outcome.object_key,
                "error": outcome.error,
            }
        )


class FakeWriter(ObjectWriter):
    def __init__(self, objects: FakeObjects, key: str, on_part: Callable[[int], None]) -> None:
        self.objects, self.key, self.on_part = objects, key, on_part
        self.data = bytearray()

    @property
    def upload_id(self) -> str:
        return "UPLOAD"

    def write(self, data: bytes) -> None:
        self.data += data
        self.on_part(len(self.data))

    def complete(self) -> int:
        self.objects.stored[self.key] = bytes(self.data)
        return len(self.data)

    def abort(self) -> None:
        self.objects.aborted.append(self.key)


class FakeObjects(ExportObjects):
    def __init__(self) -> None:
        self.stored: dict[str, bytes] = {}
        self.aborted: list[str] = []
        self.removed: list[str] = []
        self.sizes: list[int | None] = []

    def open_writer(
        self,
        key: str,
        content_type: str,
        download_name: str,
        on_part: Callable[[int], None],
        size: int | None = None,
    ) -> FakeWriter:
        self.sizes.append(size)
        return FakeWriter(self, key, on_part)

    def abort(self, key: str, upload_id: str) -> None:
        self.aborted.append(key)

    def remove(self, key: str) -> None:
        self.removed.append(key)
        self.stored.pop(key, None)

    def download_url(self, key: str, download_name: str, seconds: int) -> str:
        return f"https://example.com/{key}"


class NoTerms(TermsRepository):
    def get(self, tenant_id: str) -> TermsState:
        return TermsState(tenant_id=tenant_id)

    def admit(self, tenant_id: str, upload: JobFile) -> None:
        raise NotImplementedError

    def settle(self, tenant_id: str, upload: JobFile, current: Terms | None) -> bool:
        raise NotImplementedError


class FakeFiles(FileChunks):
    def __init__(self, data: dict[str, bytes]) -> None:
        self.data = data

    def chunks(self, key: str, version_id: str | None) -> Iterator[bytes]:
        content = self.data[key]
        for start in range(0, len(content), 7):
            yield content[start : start + 7]


def _work(
    export: Export, files: dict[str, bytes], jobs: list[Job], **fakes: Any
) -> tuple[ExportWork, InMemoryContacts]:
    contacts = InMemoryContacts()
    contacts.items[("acme", "01JCONTACT0000000000000000")] = _contact(ContactStatus.ACTIVE).model_copy(
        update={"tenant_id": "acme"}
    )
    for job in jobs:
        contacts.jobs[(job.tenant_id, job.id)] = job
    work = ExportWork(
        exports=fakes.get("exports") or FakeExports(export),
        contacts=contacts,
        jobs=InMemoryJobs(contacts),
        files=FakeFiles(files),
        objects=fakes.get("objects") or FakeObjects(),
        terms=NoTerms(),
        custom_fields=InMemoryCustomFields(),
    )
    return work, contacts


def _job_with_input(size: int) -> Job:
    return Job(
        id="01JJOB000000000000000000000",
        tenant_id="acme",
        contact_id="01JCONTACT0000000000000000",
        title="Flyer",
        created_at=NOW,
        updated_at=NOW,
        files={
            "input.pdf": JobFile(
                name="input.pdf",
                kind=FileKind.INPUT,
                filename="f.pdf",
                size=size,
                status=FileStatus.STORED,
                upload_id="U",
                requested_at=NOW,
                stored_at=NOW,
            )
        },
    )


def test_a_backup_run_writes_exactly_the_announced_number_of_bytes() -> None:
    pdf = b"%PDF-" + b"0123456789" * 50 + b"%%EOF"
    job = _job_with_input(len(pdf))
    work, _ = _work(_export(), {"tenants/acme/jobs/01JJOB000000000000000000000/input.pdf": pdf}, [job])
    contact = work.contacts.get("acme", "01JCONTACT0000000000000000")
    assert contact is not None
    stream, total = archive.backup(contact, [job], work.files)
    data = b"".join(stream)
    assert len(data) == total
    assert zipfile.ZipFile(io.BytesIO(data)).read("01JJOB000000000000000000000/input.pdf") == pdf


def test_a_run_that_another_run_took_over_stops_and_discards_its_upload() -> None:
    pdf = b"%PDF-" + b"x" * 100 + b"%%EOF"
    objects = FakeObjects()
    fake_exports = FakeExports(_export(), superseded_after=1)
    work, _ = _work(
        _export(),
        {"tenants/acme/jobs/01JJOB000000000000000000000/input.pdf": pdf},
        [_job_with_input(len(pdf))],
        exports=fake_exports,
        objects=objects,
    )
    assert exports.run_export(work, "acme", "01JEXPORT00000000000000000", final_attempt=True) is None
    assert objects.stored == {}
    assert len(objects.aborted) == 1
    assert fake_exports.export.status is ExportStatus.RUNNING  # the other run finishes it


def test_an_interrupted_runs_upload_is_discarded_before_the_next_run() -> None:
    objects = FakeObjects()
    interrupted = _export(status=ExportStatus.RUNNING, object_key="old/key.zip", upload_id="OLD")
    work, _ = _work(interrupted, {}, [], objects=objects, exports=FakeExports(interrupted))
    done = exports.run_export(work, "acme", interrupted.id, final_attempt=False)
    assert done is not None
    assert done.status is ExportStatus.SUCCEEDED
    assert objects.aborted == ["old/key.zip"]
    assert list(objects.stored) == [done.object_key]
