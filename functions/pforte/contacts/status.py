"""The one table of contact status changes: which change is allowed from which status, and where
it leads. Every status change anywhere goes through `moved` (or is checked by `allows`); a refused
change is `invalid_transition`, made here and nowhere else. A new contact (created, imported or
registered) starts as `not_registered`, the default of `Contact.status`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pforte.contacts.service import Contact, ContactStatus
from pforte.core.clock import utcnow
from pforte.core.errors import DomainError, ErrorCode, FieldError


class Change(StrEnum):
    """What can happen to a contact's account (the staff actions use the same names as routes)."""

    REQUEST_ACTIVATION = "request_activation"  # mailed an activation link; the status stays
    USE_ACTIVATION_LINK = "use_activation_link"  # the customer used the link
    SELF_REGISTER = "self_register"  # through the onboarding link
    ACTIVATE = "activate"  # staff
    DEACTIVATE = "deactivate"  # staff
    DELETE_IDENTITIES = "delete_identities"  # staff


@dataclass(frozen=True)
class Transition:
    allowed_from: frozenset[ContactStatus]
    to: ContactStatus | None  # None: the status stays as it is
    refused: str  # "A contact in status X cannot <refused>."


_S = ContactStatus
TRANSITIONS: dict[Change, Transition] = {
    Change.REQUEST_ACTIVATION: Transition(
        frozenset({_S.NOT_REGISTERED, _S.INACTIVE}), None, "get an activation request"
    ),
    Change.USE_ACTIVATION_LINK: Transition(
        frozenset({_S.NOT_REGISTERED, _S.INACTIVE}), _S.ACTIVE, "be activated through a link"
    ),
    # A second registration of an inactive contact mails a new link and changes nothing else.
    Change.SELF_REGISTER: Transition(frozenset({_S.NOT_REGISTERED, _S.INACTIVE}), _S.INACTIVE, "register"),
    Change.ACTIVATE: Transition(frozenset({_S.INACTIVE, _S.DEACTIVATED}), _S.ACTIVE, "be activated"),
    Change.DEACTIVATE: Transition(frozenset({_S.ACTIVE}), _S.DEACTIVATED, "be deactivated"),
    Change.DELETE_IDENTITIES: Transition(
        frozenset({_S.ACTIVE}), _S.NOT_REGISTERED, "lose its login identity"
    ),
}


def allows(contact: Contact, change: Change) -> bool:
    return contact.status in TRANSITIONS[change].allowed_from


def invalid_transition(contact: Contact, change: Change) -> DomainError:
    return DomainError(
        ErrorCode.INVALID_TRANSITION,
        f"A contact in status {contact.status} cannot {TRANSITIONS[change].refused}.",
        [FieldError("status", str(contact.status))],
    )


def check(contact: Contact, change: Change) -> None:
    """Refuse the change unless the table allows it from the contact's status."""
    if not allows(contact, change):
        raise invalid_transition(contact, change)


def moved(contact: Contact, change: Change, **changes: object) -> Contact:
    """The contact after `change` (checked against the table), with its version counted up."""
    check(contact, change)
    status = TRANSITIONS[change].to or contact.status
    return contact.model_copy(
        update={"status": status, "updated_at": utcnow(), "version": contact.version + 1, **changes}
    )
