"""Who is calling: verified token claims turned into an actor, in one place."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Self

from pforte.core.errors import forbidden, unauthorized

# Tenant ids end up inside key strings: a strict shape keeps `#` and friends out of them.
TENANT_ID_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
_TENANT_ID = re.compile(TENANT_ID_PATTERN)


class Role(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"


@dataclass(frozen=True)
class Actor:
    """A signed-in staff member of one tenant."""

    tenant_id: str
    user_id: str
    role: Role
    email: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


def is_tenant_id(value: str) -> bool:
    return bool(_TENANT_ID.match(value))


@dataclass(frozen=True)
class TenantToken:
    """A token that names its tenant, as `<tenant id>.<secret>`: its tenant is known before any
    lookup, and no lookup crosses tenants."""

    tenant_id: str
    secret: str

    def __str__(self) -> str:
        return f"{self.tenant_id}.{self.secret}"


class LinkToken(TenantToken):
    """The secret of a mailed single-use link: only its SHA-256 digest is stored, so what the
    table holds cannot be used as a link."""

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.secret.encode("ascii")).hexdigest()

    @classmethod
    def new(cls, tenant_id: str) -> Self:
        return cls(tenant_id, secrets.token_urlsafe(32))

    @classmethod
    def parse(cls, raw: str) -> Self | None:
        tenant_id, _, secret = raw.strip().partition(".")
        if not is_tenant_id(tenant_id) or not 40 <= len(secret) <= 64 or not secret.isascii():
            return None
        return cls(tenant_id, secret)


def _groups(raw: Any) -> set[str]:
    # API Gateway hands claims over as strings: "admin", "admin,operator" or "[admin operator]".
    if isinstance(raw, list | tuple):
        return {str(group) for group in raw}
    if isinstance(raw, str):
        return {part for part in re.split(r"[\s,\[\]]+", raw) if part}
    return set()


def actor_from_claims(claims: Mapping[str, Any] | None) -> Actor:
    """Build the actor from Cognito ID-token claims; refuse tokens that are not a staff member's."""
    if not claims:
        raise unauthorized()
    if claims.get("token_use", "id") != "id":
        raise unauthorized("An ID token is required.")
    if "custom:contact_id" in claims:
        raise forbidden("A customer's token cannot act for staff.")
    tenant_id = str(claims.get("custom:tenant_id") or "")
    user_id = str(claims.get("sub") or "")
    if not tenant_id or not user_id or not is_tenant_id(tenant_id):
        raise forbidden("This token does not belong to a tenant's staff.")
    groups = _groups(claims.get("cognito:groups"))
    if Role.ADMIN in groups:
        role = Role.ADMIN
    elif Role.OPERATOR in groups:
        role = Role.OPERATOR
    else:
        raise forbidden("This token carries no staff role.")
    email = claims.get("email")
    return Actor(tenant_id=tenant_id, user_id=user_id, role=role, email=str(email) if email else None)


def require_admin(actor: Actor) -> Actor:
    if not actor.is_admin:
        raise forbidden("Only an admin may do this.")
    return actor


@dataclass(frozen=True)
class Customer:
    """A signed-in customer: one contact of one tenant."""

    tenant_id: str
    contact_id: str


def customer_from_claims(claims: Mapping[str, Any] | None) -> Customer:
    """The customer of a verified customer-pool ID token (the authorizer checked issuer and
    audience); anything else is refused."""
    if not claims or claims.get("token_use") not in (None, "id"):
        raise unauthorized()
    if _groups(claims.get("cognito:groups")) & {Role.ADMIN, Role.OPERATOR}:
        raise forbidden("A staff token cannot act as a customer.")
    tenant_id, contact_id = claims.get("custom:tenant_id"), claims.get("custom:contact_id")
    if (
        not isinstance(tenant_id, str)
        or not is_tenant_id(tenant_id)
        or not isinstance(contact_id, str)
        or not contact_id
    ):
        raise unauthorized()
    return Customer(tenant_id=tenant_id, contact_id=contact_id)
