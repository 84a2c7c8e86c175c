"""A contact's account: its status, and the login identity that must agree with it.

Every action changes the login identity first (idempotently) and the contact after, so that a
failure between the two leaves the contact in its old status, allowed to repeat the action, and
repeating it repairs the pair.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Protocol

from pforte.contacts.service import Contact, ContactRepository, ContactStatus, get_contact, with_retries
from pforte.contacts.status import Change, check, moved
from pforte.core.errors import DomainError, ErrorCode, FieldError
from pforte.core.identity import Actor


class WeakPassword(Exception):
    """The login pool refused the password: `reason` says why, in its words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LoginIdentities(Protocol):
    """The customers' login identities (a Cognito user pool on AWS). Every call is idempotent."""

    def create(self, contact: Contact, password: str) -> None:
        """A confirmed, enabled identity with this password; WeakPassword if the policy refuses it."""

    def register(self, contact: Contact, password: str) -> None:
        """An unconfirmed identity, as self-registration leaves it; WeakPassword as above."""

    def confirm_and_enable(self, contact: Contact) -> None: ...

    def confirm_without_password(self, contact: Contact) -> None:
        """Confirm and enable the identity with a password nobody knows: the one it was
        registered with is dropped (the customer sets a new one through the password reset)."""

    def disable(self, contact: Contact) -> None:
        """Disable the identity and end its sessions."""

    def change_email(self, contact: Contact) -> None:
        """Give the identity the contact's (new) address; nothing to do if there is none."""

    def delete(self, contact: Contact) -> None:
        """Delete the identity; nothing to do if there is none."""


# The staff actions on an account: each is a change of the one status table.
Action = Change


PASSWORD_RULES = "At least 10 characters, with upper and lower case letters and a digit."


# Lower case, upper case, a digit: the customer pool's password policy in template.yaml.
_STRONG = (re.compile(r"[a-z]"), re.compile(r"[A-Z]"), re.compile(r"[0-9]"))
MIN_PASSWORD_LENGTH = 10


def check_password(password: str) -> None:
    """The customer pool's rules, checked before anything is looked up or made, so that the answer
    to a weak password does not depend on the address and nothing is left half-made."""
    if len(password) < MIN_PASSWORD_LENGTH or not all(rule.search(password) for rule in _STRONG):
        raise weak_password(WeakPassword(PASSWORD_RULES))
    if password != password.strip():
        raise DomainError(
            ErrorCode.WEAK_PASSWORD,
            "The password is too weak.",
            [FieldError("password", "No spaces at the start or end.")],
        )


def weak_password(error: WeakPassword) -> DomainError:
    # The pool's own wording stays in the logs; customers get the rules.
    return DomainError(
        ErrorCode.WEAK_PASSWORD, "The password is too weak.", [FieldError("password", PASSWORD_RULES)]
    )


def _activate_identity(logins: LoginIdentities, contact: Contact) -> None:
    if contact.status is ContactStatus.INACTIVE:
        # Nobody has shown that the password given at self-registration is the mailbox owner's.
        logins.confirm_without_password(contact)
    else:
        logins.confirm_and_enable(contact)


def change_status(
    contacts: ContactRepository, logins: LoginIdentities, actor: Actor, contact_id: str, action: Action
) -> Contact:
    identity_step: dict[Action, Callable[[Contact], None]] = {
        Action.ACTIVATE: lambda contact: _activate_identity(logins, contact),
        Action.DEACTIVATE: logins.disable,
        Action.DELETE_IDENTITIES: logins.delete,
    }

    def attempt() -> Contact:
        contact = get_contact(contacts, actor, contact_id)
        check(contact, action)
        identity_step[action](contact)
        changed = moved(contact, action)
        contacts.replace(changed, previous=contact)
        return changed

    return with_retries(attempt)
