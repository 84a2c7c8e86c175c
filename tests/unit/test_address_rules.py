"""The address rules on an in-memory repository: one default per kind (first, chosen, newest
other after a delete), the limit per kind, the counters, a retry after a lost race."""

from __future__ import annotations

import pytest

from pforte.addresses import service as addresses
from pforte.addresses.service import AddressCreate, AddressKind, AddressPatch, postal_code_error
from pforte.contacts.service import Contact
from pforte.core.clock import new_id, utcnow
from pforte.core.defaults import default_after
from pforte.core.errors import DomainError, ErrorCode
from tests.fakes import InMemoryAddresses


def contact() -> Contact:
    now = utcnow()
    return Contact(
        id=new_id(), tenant_id="acme", name="Anna", email="anna@example.com", created_at=now, updated_at=now
    )


def data(kind: str = "billing", **fields: object) -> AddressCreate:
    return AddressCreate.model_validate(
        {
            "kind": kind,
            "name": "Anna",
            "street": "Hauptstraße 1",
            "postal_code": "10115",
            "city": "Berlin",
            "country": "DE",
        }
        | fields
    )


def test_default_after_prefers_the_chosen_then_the_current_then_the_newest() -> None:
    ids = ["c", "b", "a"]  # newest first
    assert default_after(ids, current="a", chosen="b") == "b"
    assert default_after(ids, current="a") == "a"
    assert default_after(ids, current="gone") == "c"
    assert default_after(ids, current=None) == "c"
    assert default_after(ids, current="a", chosen="unknown") == "a"
    assert default_after([], current="a", chosen="a") is None


def test_each_kind_has_exactly_one_default_through_adds_changes_and_deletes() -> None:
    repository, anna = InMemoryAddresses(), contact()

    def defaults(kind: AddressKind) -> list[str]:
        return [a.id for a in repository.addresses("acme", anna.id).items if a.kind is kind and a.is_default]

    first = addresses.add_address(repository, anna, data())
    second = addresses.add_address(repository, anna, data())
    delivery = addresses.add_address(repository, anna, data("delivery"))
    assert defaults(AddressKind.BILLING) == [first.id]
    assert defaults(AddressKind.DELIVERY) == [delivery.id]
    third = addresses.add_address(repository, anna, data(is_default=True))
    assert defaults(AddressKind.BILLING) == [third.id]
    addresses.change_address(repository, anna, second.id, AddressPatch(is_default=True))
    assert defaults(AddressKind.BILLING) == [second.id]
    addresses.remove_address(repository, anna, second.id)
    assert defaults(AddressKind.BILLING) == [third.id]  # the newest other one
    addresses.change_address(repository, anna, third.id, AddressPatch(kind=AddressKind.DELIVERY))
    assert defaults(AddressKind.BILLING) == [first.id]
    assert defaults(AddressKind.DELIVERY) == [delivery.id]  # the mover does not take it over
    assert repository.counters[("acme", anna.id)] == {"addresses_billing": 1, "addresses_delivery": 2}


def test_the_limit_counts_one_kind() -> None:
    repository, anna = InMemoryAddresses(), contact()
    for _ in range(addresses.MAX_PER_KIND):
        addresses.add_address(repository, anna, data())
    with pytest.raises(DomainError) as refused:
        addresses.add_address(repository, anna, data())
    assert refused.value.code is ErrorCode.LIMIT_REACHED
    addresses.add_address(repository, anna, data("delivery"))


def test_a_write_that_lost_a_race_is_judged_again_on_what_won() -> None:
    repository, anna = InMemoryAddresses(), contact()
    for _ in range(addresses.MAX_PER_KIND - 1):
        addresses.add_address(repository, anna, data())
    # Another request adds the twentieth between this one's read and its write.
    repository.interfere = lambda: addresses.add_address(repository, anna, data())
    with pytest.raises(DomainError) as refused:
        addresses.add_address(repository, anna, data())
    assert refused.value.code is ErrorCode.LIMIT_REACHED
    assert len(repository.addresses("acme", anna.id).items) == addresses.MAX_PER_KIND


def test_an_unchanged_patch_writes_nothing() -> None:
    repository, anna = InMemoryAddresses(), contact()
    address = addresses.add_address(repository, anna, data())
    saves = repository.saves
    assert addresses.change_address(repository, anna, address.id, AddressPatch(city="Berlin")) == address
    assert addresses.change_address(repository, anna, address.id, AddressPatch(is_default=True)) == address
    assert repository.saves == saves


@pytest.mark.parametrize(
    ("country", "postal_code", "fits"),
    [
        ("DE", "10115", True),
        ("DE", "1011", False),
        ("AT", "1010", True),
        ("AT", "A-1010", False),
        ("CH", "8001", True),
        ("CH", "80011", False),
        ("LI", "94851234", False),  # the data's LI pattern lacks a group: matched whole, not by prefix
        ("AQ", "whatever", True),  # no rule known
    ],
)
def test_postal_codes_follow_the_countrys_rule(country: str, postal_code: str, fits: bool) -> None:
    assert (postal_code_error(country, postal_code) is None) is fits
