"""Routes of the accounts function for a contact's billing and delivery addresses."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from pforte.addresses import service
from pforte.addresses.service import AddressCreate, AddressKind, AddressOut, AddressPage, AddressPatch
from pforte.contacts.service import get_contact
from pforte.core.errors import ErrorCode
from pforte.core.pagination import DEFAULT_PAGE_SIZE, decode_cursor
from pforte.http.auth import CurrentActor
from pforte.http.deps.addresses import AddressStore
from pforte.http.deps.contacts import Contacts
from pforte.http.pages import PageCursor, PageLimit, page_out
from pforte.http.resolver import created, errors

router = APIGatewayRouter()  # type: ignore[no-untyped-call]

_WRITE_ERRORS = (
    ErrorCode.NOT_FOUND,
    ErrorCode.INVALID_POSTAL_CODE,
    ErrorCode.INVALID_PHONE,
    ErrorCode.LIMIT_REACHED,
    ErrorCode.CONFLICT,
)


@router.get(
    "/contacts/<contact_id>/addresses",
    summary="List a contact's addresses, newest first",
    tags=["addresses"],
    openapi_extensions=errors(ErrorCode.NOT_FOUND),
)
def list_addresses(
    actor: CurrentActor,
    contacts: Contacts,
    addresses: AddressStore,
    contact_id: str,
    kind: Annotated[AddressKind | None, Query()] = None,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> AddressPage:
    contact = get_contact(contacts, actor, contact_id)
    page = service.list_addresses(addresses, contact, kind, decode_cursor(cursor), limit)
    return page_out(AddressPage, page, AddressOut.of)


@router.post(
    "/contacts/<contact_id>/addresses",
    summary="Add an address (the first of its kind is its default)",
    tags=["addresses"],
    status_code=201,
    openapi_extensions=errors(*_WRITE_ERRORS),
)
def add_address(
    actor: CurrentActor, contacts: Contacts, addresses: AddressStore, contact_id: str, data: AddressCreate
) -> Response[AddressOut]:
    contact = get_contact(contacts, actor, contact_id)
    address = service.add_address(addresses, contact, data)
    return created(AddressOut.of(address), f"/contacts/{contact.id}/addresses/{address.id}")


@router.get(
    "/contacts/<contact_id>/addresses/<address_id>",
    summary="Read one address",
    tags=["addresses"],
    openapi_extensions=errors(ErrorCode.NOT_FOUND),
)
def get_address(
    actor: CurrentActor, contacts: Contacts, addresses: AddressStore, contact_id: str, address_id: str
) -> AddressOut:
    contact = get_contact(contacts, actor, contact_id)
    return AddressOut.of(service.get_address(addresses, contact, address_id))


@router.patch(
    "/contacts/<contact_id>/addresses/<address_id>",
    summary="Change an address; `is_default: true` makes it its kind's default",
    tags=["addresses"],
    openapi_extensions=errors(*_WRITE_ERRORS),
)
def change_address(
    actor: CurrentActor,
    contacts: Contacts,
    addresses: AddressStore,
    contact_id: str,
    address_id: str,
    patch: AddressPatch,
) -> AddressOut:
    contact = get_contact(contacts, actor, contact_id)
    return AddressOut.of(service.change_address(addresses, contact, address_id, patch))


@router.delete(
    "/contacts/<contact_id>/addresses/<address_id>",
    summary="Delete an address (the newest other one of its kind becomes the default)",
    tags=["addresses"],
    status_code=204,
    openapi_extensions=errors(ErrorCode.NOT_FOUND, ErrorCode.CONFLICT),
)
def remove_address(
    actor: CurrentActor, contacts: Contacts, addresses: AddressStore, contact_id: str, address_id: str
) -> Response[None]:
    contact = get_contact(contacts, actor, contact_id)
    service.remove_address(addresses, contact, address_id)
    return Response(status_code=204)
