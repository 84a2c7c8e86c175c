"""CSV import through the API: the template, every dialect users' spreadsheets write, bad rows,
duplicates, re-runs and dry runs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api


def upload(api: Api, data: bytes | str, *, dry_run: bool = False, content_type: str = "text/csv") -> Any:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    query = {"dry_run": "true"} if dry_run else None
    return api.request(
        "POST", "/contacts/imports", raw_body=raw, query=query, headers={"Content-Type": content_type}
    )


def contacts(api: Api) -> dict[str, dict[str, Any]]:
    return {c["email"]: c for c in api.get("/contacts", limit=200).body["items"]}


def test_the_template_downloads_as_users_template_csv(api: Api) -> None:
    response = api.get("/contacts/import-template")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"] == 'attachment; filename="users_template.csv"'
    lines = response.text.splitlines()
    assert lines[0] == "name,email,company,language,phone,customer_number"  # issue 11: the two new columns
    assert len(lines) == 2
    # and it imports as it is
    report = upload(api, response.text).body
    assert (report["imported"], report["errors"]) == (1, [])


def test_a_plain_file_imports_every_row_as_not_registered(api: Api) -> None:
    response = upload(
        api, "name,email,company,language\nAnna,anna@example.com,ACME,en\nBen,ben@example.com,,\n"
    )
    assert response.status == 200
    assert response.body == {"imported": 2, "skipped": 0, "errors": [], "failed_rows": 0, "dry_run": False}
    stored = contacts(api)
    assert stored["anna@example.com"]["company"] == "ACME"
    assert stored["anna@example.com"]["language"] == "en"
    assert stored["ben@example.com"]["company"] is None
    assert stored["ben@example.com"]["language"] == "de"
    assert {c["status"] for c in stored.values()} == {"not_registered"}


GERMAN_EXCEL = '\ufeffName;E-Mail;Firma;Sprache\r\nJörg Müller;joerg@example.com;"Müller; Söhne";Deutsch\r\nClara;clara@example.com;;Englisch\r\n'


@pytest.mark.parametrize(
    "data",
    [
        GERMAN_EXCEL.encode("utf-8"),  # UTF-8 with BOM, semicolons, CRLF, German headers, quoted ;
        GERMAN_EXCEL.lstrip("\ufeff").encode("cp1252"),  # Windows-1252, as Excel saves it
        GERMAN_EXCEL.lstrip("\ufeff").encode("utf-8"),  # UTF-8 without BOM
        GERMAN_EXCEL.replace(";", ",").replace('"Müller, Söhne"', '"Müller; Söhne"').encode("utf-8"),
        "NAME;EMAIL;COMPANY;LANGUAGE\nJörg Müller;joerg@example.com;Müller & Söhne;german\n".encode(),
    ],
)
def test_spreadsheet_dialects(api: Api, data: bytes) -> None:
    report = upload(api, data).body
    assert report["errors"] == []
    stored = contacts(api)
    joerg = stored["joerg@example.com"]
    assert joerg["name"] == "Jörg Müller"
    assert joerg["company"] in {"Müller; Söhne", "Müller & Söhne"}
    assert joerg["language"] == "de"
    if "clara@example.com" in stored:
        assert stored["clara@example.com"]["language"] == "en"


def test_a_quoted_field_with_a_comma_is_one_field(api: Api) -> None:
    upload(api, 'name,email,company\n"Becker, Anna",anna@example.com,"ACME, Inc."\n')
    anna = contacts(api)["anna@example.com"]
    assert (anna["name"], anna["company"]) == ("Becker, Anna", "ACME, Inc.")


def test_unknown_columns_are_ignored_and_column_order_is_free(api: Api) -> None:
    # "Phone" became a known column with issue 11: an unknown one stands in for it.
    report = upload(api, "Notes,E-Mail,Fax,Name\nvip,anna@example.com,123,Anna\n").body
    assert report["imported"] == 1
    assert contacts(api)["anna@example.com"]["name"] == "Anna"


@pytest.mark.parametrize("data", ["company,language\nACME,de\n", "name;firma\nAnna;ACME\n", "", "\n\n"])
def test_a_header_without_name_or_email_is_refused(api: Api, data: str) -> None:
    response = upload(api, data)
    assert response.status == 422
    assert response.error_code == "csv_header_invalid"
    assert contacts(api) == {}


def test_bad_rows_are_reported_by_physical_line_and_import_nothing(api: Api) -> None:
    data = (
        "name,email,company,language,notes\n"  # line 1
        "Anna,anna@example.com,,de,\n"  # line 2
        ",nobody@example.com,,,\n"  # line 3: no name
        'Ben,not-an-address,,,"a note\nover two lines"\n'  # lines 4-5: bad email
        "\n"  # line 6: empty, ignored
        "Clara,clara@example.com,,klingonisch,\n"  # line 7: bad language
        "Dora,dora@example.com,,en,\n"  # line 8
    )
    report = upload(api, data).body
    assert report["imported"] == 2
    assert [(e["line"], e["field"], e["code"]) for e in report["errors"]] == [
        (3, "name", "required"),
        (4, "email", "invalid_email"),
        (7, "language", "invalid_language"),
    ]
    assert report["failed_rows"] == 3
    assert set(contacts(api)) == {"anna@example.com", "dora@example.com"}


def test_known_and_repeated_addresses_are_skipped_and_reruns_import_nothing(api: Api) -> None:
    api.post("/contacts", {"name": "Anna", "email": "anna@example.com"})
    data = "name,email\nAnna Again,ANNA@example.com\nBen,ben@example.com\nBen Twice,Ben@Example.com\n"
    first = upload(api, data).body
    assert (first["imported"], first["skipped"]) == (1, 2)
    assert contacts(api)["ben@example.com"]["name"] == "Ben"  # the first occurrence wins
    again = upload(api, data).body
    assert (again["imported"], again["skipped"]) == (0, 3)
    assert len(contacts(api)) == 2


def test_imported_addresses_stay_unique_for_the_api(api: Api) -> None:
    upload(api, "name,email\nAnna,anna@example.com\n")
    assert api.post("/contacts", {"name": "A", "email": "Anna@Example.com"}).status == 409


def test_a_dry_run_reports_and_writes_nothing(api: Api) -> None:
    report = upload(api, "name,email\nAnna,anna@example.com\nBad,bad\n", dry_run=True).body
    assert (report["imported"], report["dry_run"], len(report["errors"])) == (1, True, 1)
    assert contacts(api) == {}


def test_imports_stay_in_the_callers_tenant(api: Api) -> None:
    upload(api.as_("globex"), "name,email\nAnna,anna@example.com\n")
    assert contacts(api) == {}
    assert upload(api, "name,email\nAnna,anna@example.com\n").body["imported"] == 1


def test_files_over_4_mb_are_sent_to_the_upload_path(api: Api) -> None:
    big = "name,email\n" + "".join(f"Person {i},p{i}@example.com\n" for i in range(170_000))
    assert len(big) > 4 * 1024 * 1024
    response = upload(api, big)
    assert response.status == 413
    assert response.error_code == "payload_too_large"
    assert "/contacts/imports/uploads" in response.body["error"]["message"]


def test_bytes_no_code_page_defines_fail_their_row_not_the_request(api: Api) -> None:
    report = upload(api, b"name,email\n\x81bc,a@example.com\nBen,ben@example.com\n").body
    assert report["imported"] == 1
    assert [(e["line"], e["field"]) for e in report["errors"]] == [(2, "name")]


@pytest.mark.parametrize(
    "data",
    [
        b'name,email\n"' + b"A" * 140_000 + b'",x@example.com\n',  # a field past the CSV limit
        b"name,email\n" + b"x" * 2_000_000 + b"\n",  # one huge line
    ],
)
def test_files_csv_cannot_read_are_a_422(api: Api, data: bytes) -> None:
    response = upload(api, data)
    assert response.status == 422
    assert response.error_code in {"csv_invalid", "csv_header_invalid"}


def test_a_header_long_beyond_reason_is_refused(api: Api) -> None:
    response = upload(api, b"name,email," + b"x" * 200_000 + b"\nA,a@example.com\n")
    assert (response.status, response.error_code) == (422, "csv_header_invalid")


def test_quoted_header_cells_and_excels_sep_line(api: Api) -> None:
    assert upload(api, 'Name;E-Mail;"Firma, Abteilung"\nAnna;anna@example.com;ACME\n').body["imported"] == 1
    report = upload(api, "sep=,\r\nName,E-Mail\r\nBen,ben@example.com\r\nBad,nope\r\n").body
    assert report["imported"] == 1
    assert [e["line"] for e in report["errors"]] == [4]


def test_a_missing_email_is_reported_as_required(api: Api) -> None:
    report = upload(api, "name,email\nAnna,\nBen,ben@example.com\n").body
    assert [(e["line"], e["field"], e["code"], e["message"]) for e in report["errors"]] == [
        (2, "email", "required", "Email is required.")
    ]
    assert report["imported"] == 1


def test_a_multipart_form_upload_is_told_it_is_not_csv(api: Api) -> None:
    body = (
        "--------------------------d74496d66958873e\r\n"
        'Content-Disposition: form-data; name="file"; filename="users.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
        "name,email\r\nAnna,anna@example.com\r\n"
        "--------------------------d74496d66958873e--\r\n"
    )
    response = upload(api, body)
    assert (response.status, response.error_code) == (422, "csv_invalid")
    assert response.body["error"]["message"] == (
        "The file is not a CSV file: it looks like a multipart form upload; send the CSV itself."
    )
    assert contacts(api) == {}


def test_skipped_rows_are_listed_by_line_with_the_reason(api: Api) -> None:
    api.post("/contacts", {"name": "Anna", "email": "anna@example.com"})
    data = "name,email\nAnna Again,ANNA@example.com\nBen,ben@example.com\nBen Twice,Ben@Example.com\n"
    report = upload(api, data).body
    assert report["skipped"] == 2
    assert report["skipped_rows"] == [
        {"line": 2, "email": "ANNA@example.com", "reason": "already_a_contact"},
        {"line": 4, "email": "Ben@Example.com", "reason": "repeated_in_file"},
    ]


def test_an_api_create_racing_an_import_keeps_one_contact_per_address(api: Api, monkeypatch: Any) -> None:
    """A contact created through the API between the import's read of the address claims and its
    write wins the address; the import reports that row as skipped and writes the others."""
    from pforte.contacts.import_store import DynamoImportStore

    original = DynamoImportStore.existing_emails
    raced: list[int] = []

    def read_then_race(self: DynamoImportStore, tenant_id: str, email_keys: list[str]) -> set[str]:
        known = original(self, tenant_id, email_keys)
        if not raced:
            raced.append(api.post("/contacts", {"name": "Ben (API)", "email": "ben@example.com"}).status)
        return known

    monkeypatch.setattr(DynamoImportStore, "existing_emails", read_then_race)
    data = "name,email\nAnna,anna@example.com\nBen,Ben@Example.com\nClara,clara@example.com\n"
    report = upload(api, data).body
    assert raced == [201]
    assert (report["imported"], report["skipped"]) == (2, 1)
    assert report["skipped_rows"] == [{"line": 3, "email": "Ben@Example.com", "reason": "already_a_contact"}]
    items = api.get("/contacts", limit=200).body["items"]
    assert sorted(c["email"].lower() for c in items) == [
        "anna@example.com",
        "ben@example.com",
        "clara@example.com",
    ]
    assert contacts(api)["ben@example.com"]["name"] == "Ben (API)"
