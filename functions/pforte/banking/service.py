"""A contact's bank accounts for SEPA direct debit: at most 10, one default (as with addresses),
IBAN and BIC checked and stored normalised, and a mandate reference unique within the tenant.

Staff see the full IBAN only as admins and only on the single account; every list, and every
operator, sees it masked (`DE89 •••• •••• •••• ••30 00`).
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, Protocol

from pydantic import AfterValidator, AwareDatetime, ConfigDict, Field, StrictBool, StringConstraints

from pforte.contacts.service import Contact
from pforte.core.clock import is_id, new_id, utcnow
from pforte.core.defaults import OwnedRead, default_after, differences, marked, page_after
from pforte.core.errors import DomainError, ErrorCode, FieldError, must_exist
from pforte.core.fields import Name, Timestamp
from pforte.core.model import Model
from pforte.core.pagination import Page
from pforte.core.patches import refuse_cleared
from pforte.core.retry import with_retries

MAX_PER_CONTACT = 10
MANDATE_REFERENCE_MAX = 35
# SEPA's character set for a mandate reference (EPC rulebook: "Latin characters").
_MANDATE_CHARACTERS = re.compile(r"[A-Za-z0-9/\-?:().,'+ ]+")


def mandate_reference_error(value: str) -> str | None:
    """Why `value` is no SEPA mandate reference (None if it is one)."""
    if not value or len(value) > MANDATE_REFERENCE_MAX:
        return f"must be 1-{MANDATE_REFERENCE_MAX} characters"
    if not _MANDATE_CHARACTERS.fullmatch(value):
        return "may hold only A-Z, a-z, 0-9, space and / - ? : ( ) . , ' +"
    if value.startswith("/") or value.endswith("/") or "//" in value:
        return "must not start or end with / nor contain //"
    return None


def _mandate_reference(value: str) -> str:
    problem = mandate_reference_error(value)
    if problem:
        raise ValueError(problem)
    return value


MandateReference = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=100), AfterValidator(_mandate_reference)
]


def mandate_key(reference: str) -> str:
    """The form in which references are kept unique: banks compare them regardless of case, so
    `ab-1` and `AB-1` are one reference."""
    return reference.upper()


def generated_reference(bank_account_id: str) -> str:
    """A reference for an account given none: unique because its id is (a ULID: 26 of A-Z 0-9)."""
    return f"PF-{bank_account_id}"


def masked_iban(iban: str) -> str:
    """Country, check digits and the last four, the rest hidden, in groups of four as printed:
    `DE89370400440532013000` → `DE89 •••• •••• •••• ••30 00`."""
    shown = iban[:4] + "•" * (len(iban) - 8) + iban[-4:]
    return " ".join(shown[start : start + 4] for start in range(0, len(shown), 4))


class BankAccount(Model):
    """A bank account as stored (IBAN and BIC compact, upper case)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    contact_id: str
    holder: str
    iban: str
    bic: str | None = None
    bank_name: str | None = None
    mandate_reference: str
    mandate_signed_at: datetime | None = None
    is_default: bool = False
    created_at: datetime
    updated_at: datetime
    version: int = 1


# --- API shapes ---------------------------------------------------------------------------------

Iban = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Bic = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]


class BankAccountCreate(Model):
    model_config = ConfigDict(extra="forbid")

    holder: Name
    iban: Iban
    bic: Bic | None = Field(default=None, description="Filled in from the IBAN where the bank is known.")
    mandate_reference: MandateReference | None = Field(
        default=None, description="SEPA mandate reference (≤ 35 characters); generated when absent."
    )
    mandate_signed_at: AwareDatetime | None = None
    is_default: StrictBool = Field(
        default=False, description="Make it the default (the first one is anyway)."
    )


class BankAccountPatch(Model):
    """Fields to change; `null` clears `bic` (filled in again from the IBAN where known) and
    `mandate_signed_at`. `is_default: true` makes this account the default."""

    model_config = ConfigDict(extra="forbid")

    holder: Name | None = None
    iban: Iban | None = None
    bic: Bic | None = None
    mandate_reference: MandateReference | None = None
    mandate_signed_at: AwareDatetime | None = None
    is_default: Literal[True] | None = None


REQUIRED_ON_PATCH = ("holder", "iban", "mandate_reference", "is_default")


class BankAccountOut(Model):
    id: str
    holder: str
    iban_masked: str
    iban: str | None = Field(description="The full IBAN: for admins, on the single account only.")
    bic: str | None
    bank_name: str | None
    mandate_reference: str
    mandate_signed_at: Timestamp | None
    is_default: bool
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def of(cls, account: BankAccount, full_iban: bool = False) -> "BankAccountOut":
        shown = account.model_dump(exclude={"contact_id", "version", "iban"})
        return cls.model_validate(
            {**shown, "iban_masked": masked_iban(account.iban), "iban": account.iban if full_iban else None}
        )


class BankAccountPage(Model):
    items: list[BankAccountOut]
    next_cursor: str | None


# --- storage port -------------------------------------------------------------------------------


BankAccounts = OwnedRead[BankAccount]


class MandateTaken(Exception):
    """Raised by a repository when another bank account of the tenant holds the reference."""


def mandate_moves(
    read: BankAccounts, changed: Sequence[BankAccount], removed: Sequence[BankAccount]
) -> tuple[list[BankAccount], list[BankAccount]]:
    """Which accounts a save claims their mandate reference for (new ones, and changed ones with a
    new reference), and which it releases the reference of as read (the reference a changed one
    left, and removed ones)."""
    before = {account.id: account for account in read.items}
    claims: list[BankAccount] = []
    releases: list[BankAccount] = []
    for account in changed:
        previous = before.get(account.id)
        if previous is None:
            claims.append(account)
        elif mandate_key(previous.mandate_reference) != mandate_key(account.mandate_reference):
            releases.append(previous)
            claims.append(account)
    return claims, [*releases, *removed]


class BankAccountRepository(Protocol):
    def bank_accounts(self, tenant_id: str, contact_id: str) -> BankAccounts:
        """Every bank account of the contact (at most MAX_PER_CONTACT), newest first, and its counters."""

    def save(
        self,
        tenant_id: str,
        read: BankAccounts,
        changed: Sequence[BankAccount],
        removed: Sequence[BankAccount],
        count: int,
    ) -> None:
        """All or nothing: each changed account over the version read (`version` 1: new), each
        removed one as read, BANK_ACCOUNTS moved by `count` from its value in `read`, and the
        mandate references claimed and released as they changed. MandateTaken if a reference is
        another account's; `Retry` if anything else changed meanwhile; 404 if the contact is gone."""


# --- rules --------------------------------------------------------------------------------------


def _invalid(code: ErrorCode, name: str, message: str) -> DomainError:
    return DomainError(code, f"The {name.upper()} is not valid.", [FieldError(name, message)])


@dataclass(frozen=True)
class CheckedIban:
    iban: str
    bic: str | None
    bank_name: str | None


def checked_iban(value: str) -> CheckedIban:
    """The IBAN compact, with the BIC and bank name where the bank registry knows them; 422
    `invalid_iban` for a wrong checksum, length, country, format or national check digits."""
    import warnings

    from schwifty import IBAN
    from schwifty.exceptions import NationalChecksumNotVerified, SchwiftyException

    try:
        with warnings.catch_warnings():
            # A country whose national check digits schwifty cannot compute is warned about: those
            # IBANs are still checked for everything else.
            warnings.simplefilter("ignore", NationalChecksumNotVerified)
            iban = IBAN(value, validate_bban=True)
    except SchwiftyException as error:
        raise _invalid(ErrorCode.INVALID_IBAN, "iban", str(error) or "not an IBAN") from None
    bic = iban.bic
    return CheckedIban(iban=iban.compact, bic=bic.compact if bic else None, bank_name=iban.bank_name)


def bank_bic(iban: CheckedIban, bic: str) -> str:
    """`bic`, if it can be the IBAN's bank's: where the registry knows that bank, its BIC's first
    eight characters (bank, country, location) must be the given one's; 422 `invalid_bic` if not."""
    if iban.bic and bic[:8] != iban.bic[:8]:
        raise _invalid(
            ErrorCode.INVALID_BIC, "bic", f"is not the BIC of the IBAN's bank ({iban.bank_name or iban.bic})"
        )
    return bic


def checked_bic(value: str) -> str:
    """The BIC compact; 422 `invalid_bic` for a malformed one or one of no country."""
    from schwifty import BIC
    from schwifty.exceptions import SchwiftyException

    try:
        return str(BIC(value).compact)
    except SchwiftyException as error:
        raise _invalid(ErrorCode.INVALID_BIC, "bic", str(error) or "not a BIC") from None


def _not_in_future(moment: datetime | None) -> datetime | None:
    if moment is not None and moment > utcnow():
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            "The request is not valid.",
            [FieldError("mandate_signed_at", "must not lie in the future")],
        )
    return moment


def with_default(
    before: Sequence[BankAccount], after: Sequence[BankAccount], chosen: str | None = None
) -> list[BankAccount]:
    """`after` (newest first) with exactly one default if it has accounts (see core.defaults)."""
    current = next((account.id for account in before if account.is_default), None)
    default = default_after([account.id for account in after], current, chosen)
    return marked(after, [default] if default is not None else [])


def _kept_changing() -> DomainError:
    return DomainError(ErrorCode.CONFLICT, "The contact's bank accounts kept changing; try again.")


def _mandate_taken(reference: str) -> DomainError:
    return DomainError(
        ErrorCode.MANDATE_REFERENCE_TAKEN,
        "Another bank account already uses this mandate reference.",
        [FieldError("mandate_reference", f"{reference} is already in use")],
    )


def _commit(
    repository: BankAccountRepository, contact: Contact, read: BankAccounts, after: Sequence[BankAccount]
) -> None:
    changed, removed = differences(read.items, after)
    if changed or removed:
        repository.save(contact.tenant_id, read, changed, removed, len(after) - len(read.items))


def _found(read: BankAccounts, bank_account_id: str) -> BankAccount:
    found = next((a for a in read.items if a.id == bank_account_id), None) if is_id(bank_account_id) else None
    return must_exist(found, "Bank account")


# --- services -----------------------------------------------------------------------------------


def list_bank_accounts(
    repository: BankAccountRepository, contact: Contact, after: str | None, limit: int
) -> Page[BankAccount]:
    """Newest first (bounded: a contact has at most MAX_PER_CONTACT)."""
    return page_after(repository.bank_accounts(contact.tenant_id, contact.id).items, after, limit)


def get_bank_account(
    repository: BankAccountRepository, contact: Contact, bank_account_id: str
) -> BankAccount:
    return _found(repository.bank_accounts(contact.tenant_id, contact.id), bank_account_id)


def add_bank_account(
    repository: BankAccountRepository, contact: Contact, data: BankAccountCreate
) -> BankAccount:
    """A new bank account; the first one, or one given `is_default`, is the default."""
    iban = checked_iban(data.iban)
    bic = bank_bic(iban, checked_bic(data.bic)) if data.bic else iban.bic
    now = utcnow()
    account_id = new_id()
    account = BankAccount(
        id=account_id,
        contact_id=contact.id,
        holder=data.holder,
        iban=iban.iban,
        bic=bic,
        bank_name=iban.bank_name,
        mandate_reference=data.mandate_reference or generated_reference(account_id),
        mandate_signed_at=_not_in_future(data.mandate_signed_at),
        created_at=now,
        updated_at=now,
    )

    def attempt() -> BankAccount:
        read = repository.bank_accounts(contact.tenant_id, contact.id)
        if len(read.items) >= MAX_PER_CONTACT:
            raise DomainError(
                ErrorCode.LIMIT_REACHED,
                f"A contact has at most {MAX_PER_CONTACT} bank accounts.",
                [FieldError("iban", f"at most {MAX_PER_CONTACT} bank accounts")],
            )
        after = with_default(read.items, [account, *read.items], account.id if data.is_default else None)
        try:
            _commit(repository, contact, read, after)
        except MandateTaken:
            raise _mandate_taken(account.mandate_reference) from None
        return after[0]

    return with_retries(attempt, exhausted=_kept_changing)


def change_bank_account(
    repository: BankAccountRepository, contact: Contact, bank_account_id: str, patch: BankAccountPatch
) -> BankAccount:
    """Change the given fields. A new IBAN brings its bank's BIC and name unless a BIC is given."""
    given = patch.model_fields_set
    refuse_cleared(patch, REQUIRED_ON_PATCH)
    changes: dict[str, Any] = {
        name: getattr(patch, name) for name in given if name in {"holder", "mandate_reference"}
    }
    if "mandate_signed_at" in given:
        changes["mandate_signed_at"] = _not_in_future(patch.mandate_signed_at)
    iban = checked_iban(patch.iban) if patch.iban is not None else None
    if iban is not None:
        changes |= {"iban": iban.iban, "bank_name": iban.bank_name, "bic": iban.bic}
    if "bic" in given:
        changes["bic"] = checked_bic(patch.bic) if patch.bic else None
        if changes["bic"] is None:  # cleared: the bank's BIC where the registry knows it
            changes["bic"] = iban.bic if iban is not None else None

    def attempt() -> BankAccount:
        read = repository.bank_accounts(contact.tenant_id, contact.id)
        current = _found(read, bank_account_id)
        update = dict(changes)
        if "bic" in given and update["bic"] is None and iban is None:
            update["bic"] = checked_iban(current.iban).bic
        if update.get("bic") and ("bic" in given or iban is not None):
            update["bic"] = bank_bic(iban or checked_iban(current.iban), update["bic"])
        changed = current.model_copy(update=update)
        if changed == current and not patch.is_default:
            return current
        if changed != current:
            changed = changed.model_copy(update={"updated_at": utcnow()})
        after = [changed if a.id == current.id else a for a in read.items]
        after = with_default(read.items, after, current.id if patch.is_default else None)
        try:
            _commit(repository, contact, read, after)
        except MandateTaken:
            raise _mandate_taken(changed.mandate_reference) from None
        return next(a for a in after if a.id == current.id)

    return with_retries(attempt, exhausted=_kept_changing)


def remove_bank_account(repository: BankAccountRepository, contact: Contact, bank_account_id: str) -> None:
    """Delete the account and release its mandate reference; if it was the default, the newest
    other one becomes it."""

    def attempt() -> None:
        read = repository.bank_accounts(contact.tenant_id, contact.id)
        gone = _found(read, bank_account_id)
        _commit(
            repository, contact, read, with_default(read.items, [a for a in read.items if a.id != gone.id])
        )

    with_retries(attempt, exhausted=_kept_changing)
