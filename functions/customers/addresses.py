"""The signed-in customer's own addresses (`/me/addresses`), behind the `profile.edit` right,
through the same service functions as staff use on `/contacts/{id}/addresses`."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from pforte.addresses import service
from pforte.addresses.service import AddressCreate, AddressKind, AddressOut, AddressPage, AddressPatch
from pforte.core.errors import ErrorCode
from pforte.core.pagination import DEFAULT_PAGE_SIZE, decode_cursor
from pforte.http.auth import ProfileEditor
from pforte.http.deps.addresses import AddressStore
from pforte.http.deps.contacts import SignedInContact
from pforte.http.pages import PageCursor, PageLimit, page_out
from pforte.http.resolver import created, errors

router = APIGatewayRouter()  # type: ignore[no-untyped-call]

# 404: the token's contact was deleted meanwhile, or no such address of theirs; 403: the account
# is not active, or the customer lacks `profile.edit`.
_READ_ERRORS = (ErrorCode.NOT_FOUND, ErrorCode.FORBIDDEN)
_WRITE_ERRORS = (
    *_READ_ERRORS,
    ErrorCode.INVALID_POSTAL_CODE,
    ErrorCode.INVALID_PHONE,
    ErrorCode.LIMIT_REACHED,
    ErrorCode.CONFLICT,
)


@router.get(
    "/me/addresses",
    summary="The customer's own addresses, newest first",
    tags=["me"],
    openapi_extensions=errors(*_READ_ERRORS),
)
def list_my_addresses(
    customer: ProfileEditor,
    contact: SignedInContact,
    addresses: AddressStore,
    kind: Annotated[AddressKind | None, Query()] = None,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> AddressPage:
    page = service.list_addresses(addresses, contact, kind, decode_cursor(cursor), limit)
    return page_out(AddressPage, page, AddressOut.of)


@router.post(
    "/me/addresses",
    summary="Add an address of one's own",
    tags=["me"],
    status_code=201,
    openapi_extensions=errors(*_WRITE_ERRORS),
)
def add_my_address(
    customer: ProfileEditor, contact: SignedInContact, addresses: AddressStore, data: AddressCreate
) -> Response[AddressOut]:
    address = service.add_address(addresses, contact, data)
    return created(AddressOut.of(address), f"/me/addresses/{address.id}")


@router.get(
    "/me/addresses/<address_id>",
    summary="Read one of one's own addresses",
    tags=["me"],
    openapi_extensions=errors(*_READ_ERRORS),
)
def get_my_address(
    customer: ProfileEditor, contact: SignedInContact, addresses: AddressStore, address_id: str
) -> AddressOut:
    return AddressOut.of(service.get_address(addresses, contact, address_id))


@router.patch(
    "/me/addresses/<address_id>",
    summary="Change one of one's own addresses",
    tags=["me"],
    openapi_extensions=errors(*_WRITE_ERRORS),
)
def change_my_address(
    customer: ProfileEditor,
    contact: SignedInContact,
    addresses: AddressStore,
    address_id: str,
    patch: AddressPatch,
) -> AddressOut:
    return AddressOut.of(service.change_address(addresses, contact, address_id, patch))


@router.delete(
    "/me/addresses/<address_id>",
    summary="Delete one of one's own addresses",
    tags=["me"],
    status_code=204,
    openapi_extensions=errors(*_READ_ERRORS, ErrorCode.CONFLICT),
)
def remove_my_address(
    customer: ProfileEditor, contact: SignedInContact, addresses: AddressStore, address_id: str
) -> Response[None]:
    service.remove_address(addresses, contact, address_id)
    return Response(status_code=204)
