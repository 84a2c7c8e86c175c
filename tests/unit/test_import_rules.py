"""The import flow at the service (`import_contacts`) on an in-memory store: what is stored, what
is skipped and what is reported, as the user sees it in the report and the contact list."""

from __future__ import annotations

import io

from pforte.contacts import imports
from pforte.contacts.imports import CHUNK_ROWS, ImportReport, read_rows
from pforte.contacts.service import Contact, ContactStatus
from pforte.core.fields import Language, email_key
from tests.fakes import InMemoryContacts, InMemoryImportStore
from tests.unit.world import World


def run(
    store: InMemoryImportStore,
    csv: str | bytes,
    *,
    tenant_id: str = "acme",
    dry_run: bool = False,
    language: Language = Language.DE,
    progress: list[int] | None = None,
) -> ImportReport:
    data = csv.encode() if isinstance(csv, str) else csv
    return imports.import_contacts(
        store,
        tenant_id,
        read_rows(lambda: io.BytesIO(data)),
        language,
        dry_run=dry_run,
        on_progress=(lambda rows, _resume: progress.append(rows)) if progress is not None else None,
    )


def by_email(contacts: InMemoryContacts, address: str, tenant_id: str = "acme") -> Contact:
    found = contacts.by_email(tenant_id, email_key(address))
    assert found is not None, address
    return found


def test_good_rows_become_not_registered_contacts() -> None:
    # GIVEN an empty tenant
    contacts = InMemoryContacts()
    store = InMemoryImportStore(contacts)
    # WHEN a spreadsheet with two people is imported
    report = run(
        store,
        "Name;E-Mail;Firma;Sprache\r\nErika Muster;erika@example.com;Druck AG;Englisch\r\nOtto;otto@example.com;;\r\n",
    )
    # THEN both are in the list, not registered, in their language or the tenant's
    assert (report.imported, report.skipped, report.failed_rows, report.errors) == (2, 0, 0, [])
    erika, otto = by_email(contacts, "erika@example.com"), by_email(contacts, "otto@example.com")
    assert (erika.name, erika.company, erika.language) == ("Erika Muster", "Druck AG", Language.EN)
    assert (otto.company, otto.language) == (None, Language.DE)
    assert {c.status for c in contacts.of_tenant("acme")} == {ContactStatus.NOT_REGISTERED}


def test_a_known_address_is_skipped_and_the_contact_kept_as_it_was() -> None:
    # GIVEN a tenant that knows Mia (staff added her; she has an account)
    world = World()
    mia = world.contact("mia@example.com", ContactStatus.ACTIVE)
    store = InMemoryImportStore(world.contacts)
    # WHEN a file lists her again, in another spelling and under another name
    report = run(store, "name,email\nSomeone Else,MIA@example.com\nBen,ben@example.com\n")
    # THEN she is skipped and unchanged, Ben is imported
    assert (report.imported, report.skipped) == (1, 1)
    assert world.stored(mia) == mia
    assert len(world.contacts.of_tenant("acme")) == 2


def test_an_address_repeated_in_the_file_is_imported_once() -> None:
    contacts = InMemoryContacts()
    report = run(
        InMemoryImportStore(contacts), "name,email\nAnna,anna@example.com\nAnna B.,Anna@Example.com\n"
    )
    assert (report.imported, report.skipped) == (1, 1)
    assert by_email(contacts, "anna@example.com").name == "Anna"


def test_another_tenants_address_is_no_reason_to_skip() -> None:
    contacts = InMemoryContacts()
    run(InMemoryImportStore(contacts), "name,email\nAnna,anna@example.com\n", tenant_id="globex")
    report = run(InMemoryImportStore(contacts), "name,email\nAnna,anna@example.com\n")
    assert report.imported == 1
    assert by_email(contacts, "anna@example.com").tenant_id == "acme"


def test_a_bad_row_is_reported_with_its_line_and_field_and_imports_nothing() -> None:
    contacts = InMemoryContacts()
    report = run(
        InMemoryImportStore(contacts),
        "name,email,language\nAnna,anna@example.com,de\n,no-address,fr\nBen,ben@example.com,\n",
    )
    assert (report.imported, report.failed_rows) == (2, 1)
    assert {(e.line, e.field, e.code) for e in report.errors} == {
        (3, "name", "required"),
        (3, "email", "invalid_email"),
        (3, "language", "invalid_language"),
    }
    assert sorted(c.name for c in contacts.of_tenant("acme")) == ["Anna", "Ben"]


def test_a_dry_run_reports_the_same_and_stores_nothing() -> None:
    world = World()
    world.contact("mia@example.com")
    store = InMemoryImportStore(world.contacts)
    csv = "name,email\nMia,mia@example.com\nBen,ben@example.com\nBad,bad\n"
    report = run(store, csv, dry_run=True)
    assert (report.imported, report.skipped, report.failed_rows, report.dry_run) == (1, 1, 1, True)
    assert store.batches == []
    assert len(world.contacts.of_tenant("acme")) == 1
    # the real run afterwards reports what the dry run announced
    real = run(store, csv)
    assert (real.imported, real.skipped, real.failed_rows) == (1, 1, 1)


def test_a_long_file_is_stored_in_batches_and_its_progress_reported() -> None:
    contacts = InMemoryContacts()
    store = InMemoryImportStore(contacts)
    rows = CHUNK_ROWS * 2 + 3
    csv = "name,email\n" + "".join(f"P{n},p{n}@example.com\n" for n in range(rows))
    progress: list[int] = []
    report = run(store, csv, progress=progress)
    assert report.imported == rows
    assert store.batches == [CHUNK_ROWS, CHUNK_ROWS, 3]
    assert progress == [CHUNK_ROWS, 2 * CHUNK_ROWS, rows]
    assert len(contacts.of_tenant("acme")) == rows


def test_a_windows_1252_file_keeps_its_umlauts() -> None:
    contacts = InMemoryContacts()
    run(InMemoryImportStore(contacts), "Name;E-Mail\r\nJürgen Müller;jm@example.com\r\n".encode("cp1252"))
    assert by_email(contacts, "jm@example.com").name == "Jürgen Müller"
