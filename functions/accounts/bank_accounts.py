"""Routes of the accounts function for a contact's bank accounts (SEPA direct debit). Lists and
operators see the IBAN masked; an admin sees it in full on the single account."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from pforte.banking import service
from pforte.banking.service import BankAccountCreate, BankAccountOut, BankAccountPage, BankAccountPatch
from pforte.contacts.service import get_contact
from pforte.core.errors import ErrorCode
from pforte.core.pagination import DEFAULT_PAGE_SIZE, decode_cursor
from pforte.http.auth import CurrentActor
from pforte.http.deps.banking import BankAccountStore
from pforte.http.deps.contacts import Contacts
from pforte.http.pages import PageCursor, PageLimit, page_out
from pforte.http.resolver import created, errors

router = APIGatewayRouter()  # type: ignore[no-untyped-call]

_WRITE_ERRORS = (
    ErrorCode.NOT_FOUND,
    ErrorCode.INVALID_IBAN,
    ErrorCode.INVALID_BIC,
    ErrorCode.MANDATE_REFERENCE_TAKEN,
    ErrorCode.CONFLICT,
)


@router.get(
    "/contacts/<contact_id>/bank-accounts",
    summary="List a contact's bank accounts, newest first (IBANs masked)",
    tags=["bank accounts"],
    openapi_extensions=errors(ErrorCode.NOT_FOUND),
)
def list_bank_accounts(
    actor: CurrentActor,
    contacts: Contacts,
    accounts: BankAccountStore,
    contact_id: str,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> BankAccountPage:
    contact = get_contact(contacts, actor, contact_id)
    page = service.list_bank_accounts(accounts, contact, decode_cursor(cursor), limit)
    return page_out(BankAccountPage, page, BankAccountOut.of)


@router.post(
    "/contacts/<contact_id>/bank-accounts",
    summary="Add a bank account (the first one is the default)",
    tags=["bank accounts"],
    status_code=201,
    openapi_extensions=errors(*_WRITE_ERRORS, ErrorCode.LIMIT_REACHED),
)
def add_bank_account(
    actor: CurrentActor,
    contacts: Contacts,
    accounts: BankAccountStore,
    contact_id: str,
    data: BankAccountCreate,
) -> Response[BankAccountOut]:
    contact = get_contact(contacts, actor, contact_id)
    account = service.add_bank_account(accounts, contact, data)
    return created(BankAccountOut.of(account), f"/contacts/{contact.id}/bank-accounts/{account.id}")


@router.get(
    "/contacts/<contact_id>/bank-accounts/<bank_account_id>",
    summary="Read one bank account (the full IBAN for admins)",
    tags=["bank accounts"],
    openapi_extensions=errors(ErrorCode.NOT_FOUND),
)
def get_bank_account(
    actor: CurrentActor,
    contacts: Contacts,
    accounts: BankAccountStore,
    contact_id: str,
    bank_account_id: str,
) -> BankAccountOut:
    contact = get_contact(contacts, actor, contact_id)
    account = service.get_bank_account(accounts, contact, bank_account_id)
    return BankAccountOut.of(account, full_iban=actor.is_admin)


@router.patch(
    "/contacts/<contact_id>/bank-accounts/<bank_account_id>",
    summary="Change a bank account; `is_default: true` makes it the default",
    tags=["bank accounts"],
    openapi_extensions=errors(*_WRITE_ERRORS),
)
def change_bank_account(
    actor: CurrentActor,
    contacts: Contacts,
    accounts: BankAccountStore,
    contact_id: str,
    bank_account_id: str,
    patch: BankAccountPatch,
) -> BankAccountOut:
    contact = get_contact(contacts, actor, contact_id)
    return BankAccountOut.of(service.change_bank_account(accounts, contact, bank_account_id, patch))


@router.delete(
    "/contacts/<contact_id>/bank-accounts/<bank_account_id>",
    summary="Delete a bank account and release its mandate reference",
    tags=["bank accounts"],
    status_code=204,
    openapi_extensions=errors(ErrorCode.NOT_FOUND, ErrorCode.CONFLICT),
)
def remove_bank_account(
    actor: CurrentActor,
    contacts: Contacts,
    accounts: BankAccountStore,
    contact_id: str,
    bank_account_id: str,
) -> Response[None]:
    contact = get_contact(contacts, actor, contact_id)
    service.remove_bank_account(accounts, contact, bank_account_id)
    return Response(status_code=204)
