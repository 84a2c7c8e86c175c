"""Who is calling: the caller's identity from the claims API Gateway's authorizer verified."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Depends, Request
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from pforte.core.identity import Actor, Customer, actor_from_claims, customer_from_claims
from pforte.rights.catalogue import Right


def _claims(request: Request) -> Mapping[str, Any] | None:
    event = request.resolved_event
    return event.request_context.authorizer.claims if isinstance(event, APIGatewayProxyEvent) else None


def current_actor(request: Request) -> Actor:
    """The staff caller, from the claims of the staff pool's authorizer."""
    return actor_from_claims(_claims(request))


def current_customer(request: Request) -> Customer:
    """The signed-in customer, from the claims of the customer pool's authorizer."""
    return customer_from_claims(_claims(request))


CurrentActor = Annotated[Actor, Depends(current_actor)]
CurrentCustomer = Annotated[Customer, Depends(current_customer)]


def customer_rights(customer: CurrentCustomer) -> frozenset[Right]:
    """What the signed-in customer may do: the union of the rights of their permission groups."""
    from pforte import wiring
    from pforte.rights.service import rights_of

    return frozenset(
        rights_of(
            wiring.permission_groups(), wiring.tenant_repository(), customer.tenant_id, customer.contact_id
        )
    )


CustomerRights = Annotated[frozenset[Right], Depends(customer_rights)]


def requires_right(right: Right) -> Callable[..., Customer]:
    """A dependency: the signed-in customer, if they have `right`; 403 `forbidden` naming it otherwise.

    `Annotated[Customer, Depends(requires_right(Right.JOBS_VIEW))]` on a customer route."""

    def customer_with_right(customer: CurrentCustomer, rights: CustomerRights) -> Customer:
        from pforte.rights.service import check_right

        check_right(rights, right)
        return customer

    customer_with_right.__name__ = f"customer_with_{right.name.lower()}"
    return customer_with_right


def profile_editor(customer: CurrentCustomer, rights: CustomerRights) -> Customer:
    """The signed-in customer, with the right to change their own account (`profile.edit`)."""
    from pforte.rights.service import check_right

    check_right(rights, Right.PROFILE_EDIT)
    return customer


ProfileEditor = Annotated[Customer, Depends(profile_editor)]


def current_terms(actor: CurrentActor) -> str | None:
    """The version of the caller's tenant's current terms of use (None before the first upload)."""
    from pforte import wiring

    return wiring.current_terms().current_version(actor.tenant_id)


CurrentTerms = Annotated[str | None, Depends(current_terms)]
