"""The bank account rules: the masked IBAN, SEPA's mandate reference rules and its uniqueness,
IBAN/BIC normalisation, one default."""

from __future__ import annotations

import pytest

from pforte.banking import service as banking
from pforte.banking.service import (
    BankAccountCreate,
    BankAccountPatch,
    checked_bic,
    checked_iban,
    generated_reference,
    mandate_key,
    mandate_reference_error,
    masked_iban,
)
from pforte.contacts.service import Contact
from pforte.core.clock import new_id, utcnow
from pforte.core.errors import DomainError, ErrorCode
from tests.fakes import InMemoryBankAccounts


def contact() -> Contact:
    now = utcnow()
    return Contact(
        id=new_id(), tenant_id="acme", name="Anna", email="anna@example.com", created_at=now, updated_at=now
    )


@pytest.mark.parametrize(
    ("iban", "masked"),
    [
        ("DE89370400440532013000", "DE89 •••• •••• •••• ••30 00"),
        ("AT611904300234573201", "AT61 •••• •••• •••• 3201"),
        ("NL91ABNA0417164300", "NL91 •••• •••• ••43 00"),
        ("CH9300762011623852957", "CH93 •••• •••• •••• •295 7"),
        ("NO9386011117947", "NO93 •••• •••7 947"),
    ],
)
def test_the_masked_iban_shows_country_check_digits_and_the_last_four(iban: str, masked: str) -> None:
    assert masked_iban(iban) == masked
    assert masked.replace(" ", "").replace("•", "") == iban[:4] + iban[-4:]


@pytest.mark.parametrize(
    "reference",
    [
        "A",
        "x" * 35,
        "Az09/-?:().,'+ x",
        "MANDAT 2027/0001",
        generated_reference("01J00000000000000000000000"),
    ],
)
def test_a_sepa_mandate_reference(reference: str) -> None:
    assert mandate_reference_error(reference) is None


@pytest.mark.parametrize("reference", ["", "x" * 36, "/A", "A/", "A//B", "Ä1", "A_1", "A#1", "A*1", "A\t1"])
def test_not_a_sepa_mandate_reference(reference: str) -> None:
    assert mandate_reference_error(reference) is not None


def test_references_compare_regardless_of_case() -> None:
    assert mandate_key("Ab-1") == mandate_key("AB-1") == "AB-1"


def test_iban_and_bic_are_normalised_and_the_bank_filled_in() -> None:
    checked = checked_iban(" de89 3704 0044 0532 0130 00 ")
    assert (checked.iban, checked.bic, checked.bank_name) == (
        "DE89370400440532013000",
        "COBADEFFXXX",
        "Commerzbank",
    )
    assert checked_bic("cobadeff") == "COBADEFF"
    for iban in ("DE89370400440532013001", "DE8937040044053201300", "BE41539007547035"):
        with pytest.raises(DomainError) as refused:
            checked_iban(iban)
        assert refused.value.code is ErrorCode.INVALID_IBAN
    with pytest.raises(DomainError) as bad_bic:
        checked_bic("ABCDEFGH")
    assert bad_bic.value.code is ErrorCode.INVALID_BIC


def test_one_default_and_a_reference_unique_in_the_tenant() -> None:
    repository, anna, bert = InMemoryBankAccounts(), contact(), contact()
    first = banking.add_bank_account(
        repository, anna, BankAccountCreate(holder="Anna", iban="DE89370400440532013000")
    )
    assert first.is_default
    assert first.mandate_reference == generated_reference(first.id)
    second = banking.add_bank_account(
        repository,
        anna,
        BankAccountCreate(holder="Anna", iban="AT611904300234573201", mandate_reference="m-1"),
    )
    assert not second.is_default
    with pytest.raises(DomainError) as taken:
        banking.add_bank_account(
            repository,
            bert,
            BankAccountCreate(holder="Bert", iban="AT611904300234573201", mandate_reference="M-1"),
        )
    assert taken.value.code is ErrorCode.MANDATE_REFERENCE_TAKEN
    banking.change_bank_account(repository, anna, second.id, BankAccountPatch(is_default=True))
    assert [a.id for a in repository.bank_accounts("acme", anna.id).items if a.is_default] == [second.id]
    banking.remove_bank_account(repository, anna, second.id)
    assert [a.id for a in repository.bank_accounts("acme", anna.id).items if a.is_default] == [first.id]
    banking.add_bank_account(
        repository,
        bert,
        BankAccountCreate(holder="Bert", iban="AT611904300234573201", mandate_reference="M-1"),
    )
    assert repository.counters == {("acme", anna.id): 1, ("acme", bert.id): 1}
