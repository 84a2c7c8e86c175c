"""A contact's bank accounts: IBAN and BIC checks, the masked IBAN for lists and operators, the
mandate reference's rules and uniqueness, one default, the limit, the counts, the delete cascade."""

from __future__ import annotations

from typing import Any

import pytest

from pforte.banking.service import MAX_PER_CONTACT
from tests.api.conftest import Api, assert_another_tenant_finds_nothing, assert_unknown_ids_are_404

DE = "DE89370400440532013000"


def account(iban: str = DE, **fields: Any) -> dict[str, Any]:
    return {"holder": "Anna Muster", "iban": iban, **fields}


def new_contact(api: Api, email: str = "anna@example.com") -> str:
    return str(api.post("/contacts", {"name": "Anna", "email": email}).body["id"])


def listed(api: Api, contact_id: str) -> list[dict[str, Any]]:
    answered = api.get(f"/contacts/{contact_id}/bank-accounts")
    assert answered.status == 200
    return list(answered.body["items"])


def bank_accounts_counted(api: Api, contact_id: str) -> int:
    return int(api.get(f"/contacts/{contact_id}/summary").body["bank_accounts"])


# --- the routes, allowed and refused ------------------------------------------------------------


def test_an_admin_adds_reads_changes_and_deletes_a_bank_account(api: Api) -> None:
    anna = new_contact(api)
    added = api.post(
        f"/contacts/{anna}/bank-accounts",
        account(
            "de89 3704 0044 0532 0130 00",
            mandate_reference="ANNA-2027/1",
            mandate_signed_at="2026-11-30T10:00:00Z",
        ),
    )
    assert added.status == 201, added.text
    account_id = added.body["id"]
    assert added.headers["Location"] == f"/contacts/{anna}/bank-accounts/{account_id}"
    assert added.body | {"id": None, "created_at": None, "updated_at": None} == {
        "id": None,
        "holder": "Anna Muster",
        "iban_masked": "DE89 •••• •••• •••• ••30 00",
        "iban": None,  # the answer to the write is masked too
        "bic": "COBADEFFXXX",  # from the IBAN
        "bank_name": "Commerzbank",
        "mandate_reference": "ANNA-2027/1",
        "mandate_signed_at": "2026-11-30T10:00:00.000Z",
        "is_default": True,
        "created_at": None,
        "updated_at": None,
    }
    single = api.get(f"/contacts/{anna}/bank-accounts/{account_id}").body
    assert single["iban"] == DE  # stored normalised; an admin sees it in full here only
    assert listed(api, anna)[0]["iban"] is None
    assert listed(api, anna)[0]["iban_masked"] == "DE89 •••• •••• •••• ••30 00"

    changed = api.patch(
        f"/contacts/{anna}/bank-accounts/{account_id}", {"holder": "Anna M.", "mandate_signed_at": None}
    )
    assert (changed.status, changed.body["holder"], changed.body["mandate_signed_at"]) == (
        200,
        "Anna M.",
        None,
    )
    assert api.get(f"/contacts/{anna}/bank-accounts/{account_id}").body["holder"] == "Anna M."

    assert api.delete(f"/contacts/{anna}/bank-accounts/{account_id}").status == 204
    assert api.get(f"/contacts/{anna}/bank-accounts/{account_id}").status == 404
    assert api.delete(f"/contacts/{anna}/bank-accounts/{account_id}").status == 404
    assert listed(api, anna) == []


def test_an_operator_manages_bank_accounts_but_sees_only_the_masked_iban(api: Api) -> None:
    operator = api.as_(role="operator")
    anna = new_contact(api)
    added = operator.post(f"/contacts/{anna}/bank-accounts", account())
    assert added.status == 201
    account_id = added.body["id"]
    single = operator.get(f"/contacts/{anna}/bank-accounts/{account_id}").body
    assert (single["iban"], single["iban_masked"]) == (None, "DE89 •••• •••• •••• ••30 00")
    assert (
        operator.patch(f"/contacts/{anna}/bank-accounts/{account_id}", {"holder": "A. Muster"}).body["iban"]
        is None
    )
    assert "0532" not in operator.get(f"/contacts/{anna}/bank-accounts").text
    assert operator.delete(f"/contacts/{anna}/bank-accounts/{account_id}").status == 204


def test_another_tenants_contact_or_bank_account_is_a_404(api: Api) -> None:
    anna = new_contact(api)
    account_id = api.post(f"/contacts/{anna}/bank-accounts", account()).body["id"]
    assert_another_tenant_finds_nothing(
        api, f"/contacts/{anna}/bank-accounts", account_id, account(), {"holder": "Mallory"}
    )
    assert [a["holder"] for a in listed(api, anna)] == ["Anna Muster"]
    assert bank_accounts_counted(api, anna) == 1


def test_an_unknown_contact_or_bank_account_is_a_404_and_customers_are_refused(api: Api) -> None:
    anna = new_contact(api)
    assert_unknown_ids_are_404(api, anna, "bank-accounts", account(), {"holder": "X"})
    assert api.anonymous().get(f"/contacts/{anna}/bank-accounts").status == 401
    assert api.as_customer(anna).get(f"/contacts/{anna}/bank-accounts").status == 403


# --- IBAN and BIC -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("iban", "stored", "masked", "bic"),
    [
        ("DE89 3704 0044 0532 0130 00", DE, "DE89 •••• •••• •••• ••30 00", "COBADEFFXXX"),
        ("AT61 1904 3002 3457 3201", "AT611904300234573201", "AT61 •••• •••• •••• 3201", None),
        ("nl91abna0417164300", "NL91ABNA0417164300", "NL91 •••• •••• ••43 00", "ABNANL2A"),
        ("CH93 0076 2011 6238 5295 7", "CH9300762011623852957", "CH93 •••• •••• •••• •295 7", None),
    ],
)
def test_a_valid_iban_is_stored_normalised(
    api: Api, iban: str, stored: str, masked: str, bic: str | None
) -> None:
    anna = new_contact(api)
    added = api.post(f"/contacts/{anna}/bank-accounts", account(iban))
    assert added.status == 201, added.text
    assert (added.body["iban_masked"], added.body["bic"]) == (masked, bic)
    assert api.get(f"/contacts/{anna}/bank-accounts/{added.body['id']}").body["iban"] == stored


@pytest.mark.parametrize(
    "iban",
    [
        "DE89370400440532013001",  # wrong checksum
        "DE00370400440532013000",  # wrong check digits
        "BE41539007547035",  # right IBAN checksum, wrong national check digits
        "ES2921000418460200051332",  # likewise
        "DE8937040044053201300",  # one digit short
        "DE893704004405320130000",  # one digit long
        "NL91ABNA041716430",  # short
        "XX89370400440532013000",  # no such country
        "not an iban",
    ],
)
def test_an_invalid_iban_is_a_422(api: Api, iban: str) -> None:
    anna = new_contact(api)
    refused = api.post(f"/contacts/{anna}/bank-accounts", account(iban))
    assert (refused.status, refused.error_code) == (422, "invalid_iban")
    assert refused.body["error"]["details"][0]["field"] == "iban"
    assert listed(api, anna) == []
    assert bank_accounts_counted(api, anna) == 0


def test_a_given_bic_is_checked_and_kept(api: Api) -> None:
    anna = new_contact(api)
    added = api.post(f"/contacts/{anna}/bank-accounts", account("AT611904300234573201", bic="bkauatww"))
    assert (added.status, added.body["bic"]) == (201, "BKAUATWW")
    for bic in ("ABCDEFGH", "XXXX", "COBA DE FF X", "COBADEFF1234567"):
        refused = api.post(f"/contacts/{anna}/bank-accounts", account(bic=bic))
        assert (refused.status, refused.error_code) == (422, "invalid_bic"), bic
        assert refused.body["error"]["details"][0]["field"] == "bic"
    assert len(listed(api, anna)) == 1


def test_a_new_iban_brings_its_banks_bic_and_is_checked(api: Api) -> None:
    anna = new_contact(api)
    account_id = api.post(f"/contacts/{anna}/bank-accounts", account()).body["id"]
    changed = api.patch(f"/contacts/{anna}/bank-accounts/{account_id}", {"iban": "NL91ABNA0417164300"})
    assert (changed.body["bic"], changed.body["bank_name"]) == ("ABNANL2A", "ABN AMRO BANK N.V.")
    refused = api.patch(f"/contacts/{anna}/bank-accounts/{account_id}", {"iban": "DE89370400440532013001"})
    assert refused.error_code == "invalid_iban"
    assert (
        api.patch(f"/contacts/{anna}/bank-accounts/{account_id}", {"bic": "nope"}).error_code == "invalid_bic"
    )
    assert api.get(f"/contacts/{anna}/bank-accounts/{account_id}").body["iban"] == "NL91ABNA0417164300"


@pytest.mark.parametrize(
    "body",
    [
        {"iban": DE},
        account(holder=""),
        account(unknown=1),
        account(mandate_signed_at="2026-11-30T10:00:00"),  # no time zone
        account(mandate_signed_at="2999-01-01T00:00:00Z"),  # in the future
    ],
)
def test_a_malformed_bank_account_is_a_422(api: Api, body: dict[str, Any]) -> None:
    anna = new_contact(api)
    assert api.post(f"/contacts/{anna}/bank-accounts", body).error_code == "validation_error"
    assert listed(api, anna) == []


# --- mandate reference --------------------------------------------------------------------------


def test_a_mandate_reference_is_generated_when_absent(api: Api) -> None:
    anna = new_contact(api)
    first = api.post(f"/contacts/{anna}/bank-accounts", account()).body
    second = api.post(f"/contacts/{anna}/bank-accounts", account()).body
    assert first["mandate_reference"] != second["mandate_reference"]
    assert first["mandate_reference"] == f"PF-{first['id']}"
    assert len(first["mandate_reference"]) <= 35


@pytest.mark.parametrize("reference", ["x" * 36, "/START", "END/", "A//B", "ÄNDERUNG", "A#1", "A_1", "A\n1"])
def test_a_mandate_reference_against_seps_rules_is_a_422(api: Api, reference: str) -> None:
    anna = new_contact(api)
    refused = api.post(f"/contacts/{anna}/bank-accounts", account(mandate_reference=reference))
    assert (refused.status, refused.error_code) == (422, "validation_error")
    assert refused.body["error"]["details"][0]["field"] == "mandate_reference"


def test_every_allowed_character_makes_a_mandate_reference(api: Api) -> None:
    anna = new_contact(api)
    reference = "Az09/-?:().,'+ x"
    assert (
        api.post(f"/contacts/{anna}/bank-accounts", account(mandate_reference=reference)).body[
            "mandate_reference"
        ]
        == reference
    )


def test_a_mandate_reference_is_unique_in_the_tenant(api: Api) -> None:
    anna = new_contact(api)
    bert = new_contact(api, "bert@example.com")
    api.post(f"/contacts/{anna}/bank-accounts", account(mandate_reference="M-1"))
    for contact in (anna, bert):
        refused = api.post(f"/contacts/{contact}/bank-accounts", account(mandate_reference="m-1"))
        assert (refused.status, refused.error_code) == (409, "mandate_reference_taken")
        assert refused.body["error"]["details"][0]["field"] == "mandate_reference"
    assert bank_accounts_counted(api, bert) == 0
    # Another tenant has references of its own.
    globex_contact = new_contact(api.as_("globex"))
    assert (
        api.as_("globex")
        .post(f"/contacts/{globex_contact}/bank-accounts", account(mandate_reference="M-1"))
        .status
        == 201
    )


def test_a_changed_or_deleted_accounts_reference_is_free_again(api: Api) -> None:
    anna = new_contact(api)
    first = api.post(f"/contacts/{anna}/bank-accounts", account(mandate_reference="M-1")).body["id"]
    second = api.post(f"/contacts/{anna}/bank-accounts", account(mandate_reference="M-2")).body["id"]
    taken = api.patch(f"/contacts/{anna}/bank-accounts/{second}", {"mandate_reference": "M-1"})
    assert taken.error_code == "mandate_reference_taken"
    assert api.get(f"/contacts/{anna}/bank-accounts/{second}").body["mandate_reference"] == "M-2"
    assert (
        api.patch(f"/contacts/{anna}/bank-accounts/{first}", {"mandate_reference": "m-1"}).status == 200
    )  # its own
    assert api.patch(f"/contacts/{anna}/bank-accounts/{first}", {"mandate_reference": "M-3"}).status == 200
    assert api.patch(f"/contacts/{anna}/bank-accounts/{second}", {"mandate_reference": "M-1"}).status == 200
    assert api.post(f"/contacts/{anna}/bank-accounts", account(mandate_reference="M-2")).status == 201
    assert api.delete(f"/contacts/{anna}/bank-accounts/{first}").status == 204
    assert api.post(f"/contacts/{anna}/bank-accounts", account(mandate_reference="M-3")).status == 201
    assert api.post(f"/contacts/{anna}/bank-accounts", account(mandate_reference="M-1")).error_code == (
        "mandate_reference_taken"
    )


# --- defaults, limit, counts, cascade -----------------------------------------------------------


def test_one_default_moves_and_survives_the_delete_of_the_default(api: Api) -> None:
    anna = new_contact(api)
    oldest = api.post(f"/contacts/{anna}/bank-accounts", account()).body
    middle = api.post(f"/contacts/{anna}/bank-accounts", account(is_default=True)).body
    newest = api.post(f"/contacts/{anna}/bank-accounts", account()).body
    assert (oldest["is_default"], middle["is_default"], newest["is_default"]) == (True, True, False)

    def defaults() -> list[str]:
        return [a["id"] for a in listed(api, anna) if a["is_default"]]

    assert defaults() == [middle["id"]]
    assert api.patch(f"/contacts/{anna}/bank-accounts/{oldest['id']}", {"is_default": True}).body[
        "is_default"
    ]
    assert defaults() == [oldest["id"]]
    assert api.patch(f"/contacts/{anna}/bank-accounts/{oldest['id']}", {"is_default": False}).status == 422
    api.delete(f"/contacts/{anna}/bank-accounts/{oldest['id']}")
    assert defaults() == [newest["id"]]


def test_at_most_ten_bank_accounts_and_the_summary_counts_them(api: Api) -> None:
    anna = new_contact(api)
    ids = [api.post(f"/contacts/{anna}/bank-accounts", account()).body["id"] for _ in range(MAX_PER_CONTACT)]
    assert bank_accounts_counted(api, anna) == MAX_PER_CONTACT
    refused = api.post(f"/contacts/{anna}/bank-accounts", account())
    assert (refused.status, refused.error_code) == (422, "limit_reached")
    assert [a["id"] for a in listed(api, anna)] == list(reversed(ids))  # newest first
    page = api.get(f"/contacts/{anna}/bank-accounts", limit=4).body
    assert [a["id"] for a in page["items"]] == list(reversed(ids))[:4]
    rest = api.get(f"/contacts/{anna}/bank-accounts", limit=10, cursor=page["next_cursor"]).body
    assert ([a["id"] for a in rest["items"]], rest["next_cursor"]) == (list(reversed(ids))[4:], None)
    api.delete(f"/contacts/{anna}/bank-accounts/{ids[0]}")
    api.delete(f"/contacts/{anna}/bank-accounts/{ids[0]}")
    assert bank_accounts_counted(api, anna) == MAX_PER_CONTACT - 1
    assert api.post(f"/contacts/{anna}/bank-accounts", account()).status == 201


def test_deleting_the_contact_deletes_its_bank_accounts_and_frees_their_references(api: Api) -> None:
    anna = new_contact(api)
    account_id = api.post(f"/contacts/{anna}/bank-accounts", account(mandate_reference="M-1")).body["id"]
    api.post(
        f"/contacts/{anna}/addresses",
        {
            "kind": "billing",
            "name": "Anna",
            "street": "Hauptstraße 1",
            "postal_code": "10115",
            "city": "Berlin",
            "country": "DE",
        },
    )
    assert api.delete(f"/contacts/{anna}").status == 204
    assert api.get(f"/contacts/{anna}/bank-accounts/{account_id}").status == 404
    from pforte.storage import keys
    from pforte.wiring import bank_account_repository

    assert bank_account_repository().bank_accounts("acme", anna).items == ()
    assert bank_account_repository()._get(keys.mandate_guard_key("acme", "M-1")) is None  # type: ignore[attr-defined]
    # A new contact (even with the same address) takes the reference again.
    bert = new_contact(api)
    assert api.post(f"/contacts/{bert}/bank-accounts", account(mandate_reference="M-1")).status == 201
    assert bank_accounts_counted(api, bert) == 1


def test_a_bic_must_be_the_ibans_bank_where_the_bank_is_known(api: Api) -> None:
    anna = new_contact(api)
    other_bank = api.post(f"/contacts/{anna}/bank-accounts", account(bic="DEUTDEFF"))
    assert other_bank.status == 422
    assert other_bank.error_code == "invalid_bic"
    assert listed(api, anna) == []
    added = api.post(f"/contacts/{anna}/bank-accounts", account(bic="COBADEFF"))  # the branchless form
    assert added.status == 201, added.text
    changed = api.patch(f"/contacts/{anna}/bank-accounts/{added.body['id']}", {"bic": "DEUTDEFF"})
    assert changed.error_code == "invalid_bic"
