"""The contacts function: the contact list and every action on one contact."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from pforte.activation import service as activation
from pforte.activation.service import ActivationRequested
from pforte.aws import snapstart  # noqa: F401 - registers the SnapStart hook (clients before the snapshot)
from pforte.contacts import deletion as cascade
from pforte.contacts import lifecycle, service
from pforte.contacts.lifecycle import Action
from pforte.contacts.service import (
    ContactCreate,
    ContactOut,
    ContactPage,
    ContactPatch,
    ContactQuery,
    ContactStatus,
)
from pforte.core.bulk import BulkIds, BulkResults, BulkStatus
from pforte.core.errors import ErrorCode
from pforte.core.fields import Language
from pforte.core.observability import MetricUnit, instrumented, metrics
from pforte.core.pagination import DEFAULT_PAGE_SIZE, decode_cursor
from pforte.customfields.service import definitions
from pforte.http.auth import CurrentActor, CurrentTerms
from pforte.http.deps.activation import Activations
from pforte.http.deps.contacts import Contacts, Logins, StaffContactRules
from pforte.http.deps.customfields import CustomFieldDefinitions
from pforte.http.deps.deletion import ContactDeletion
from pforte.http.deps.mail import Mail
from pforte.http.deps.queues import MailQueue
from pforte.http.deps.tenants import Tenants
from pforte.http.events import prepare_event
from pforte.http.pages import PageCursor, PageLimit, page_out
from pforte.http.resolver import accepted, create_app, created, errors, response_headers

app = create_app()
# The contact's version, for `If-Match` on a change.
_ETAG = response_headers(
    ETag='The contact\'s version (`"3"`): send it as `If-Match` to change only this version'
)


@app.get("/contacts", summary="List contacts, newest first", tags=["contacts"])
def list_contacts(
    actor: CurrentActor,
    terms: CurrentTerms,
    contacts: Contacts,
    status: Annotated[ContactStatus | None, Query()] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Name, email, company or customer number contains")
    ] = None,
    company: Annotated[str | None, Query(max_length=200, description="Company equals (any case)")] = None,
    invited: Annotated[bool | None, Query(description="Activation request sent or not")] = None,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> ContactPage:
    query = ContactQuery(status=status, q=q or None, company=company or None, invited=invited)
    page = service.list_contacts(contacts, actor, query, decode_cursor(cursor), limit)
    return page_out(ContactPage, page, lambda c: ContactOut.of(c, terms))


@app.post(
    "/contacts",
    summary="Add a contact",
    tags=["contacts"],
    status_code=201,
    openapi_extensions={
        **errors(
            ErrorCode.EMAIL_TAKEN,
            ErrorCode.CUSTOMER_NUMBER_TAKEN,
            ErrorCode.INVALID_PHONE,
            ErrorCode.VALIDATION_ERROR,
        ),
        **_ETAG,
    },
)
def create_contact(
    actor: CurrentActor,
    terms: CurrentTerms,
    contacts: Contacts,
    tenants: Tenants,
    fields: CustomFieldDefinitions,
    data: ContactCreate,
) -> Response[ContactOut]:
    tenant = tenants.get(actor.tenant_id)
    default_language = tenant.default_language if tenant else Language.DE
    rules = service.rules_of(tenant, definitions(fields, actor.tenant_id))
    contact = service.create_contact(contacts, actor, data, default_language, rules)
    metrics.add_metric(name="ContactCreated", unit=MetricUnit.Count, value=1)
    response = created(ContactOut.of(contact, terms, rules.fields), f"/contacts/{contact.id}")
    response.headers["ETag"] = service.contact_etag(contact)
    return response


IfMatch = Annotated[
    str | None,
    Header(
        alias="if-match",
        description=(
            'Change only this version of the contact: its `ETag` (`"3"`), or `*` for any. Another '
            "version, a weak or a malformed tag answer 412 `precondition_failed`, changing nothing."
        ),
    ),
]


def _with_etag(
    contact: service.Contact, terms: str | None, rules: service.ContactRules
) -> Response[ContactOut]:
    return Response(
        status_code=200,
        content_type=content_types.APPLICATION_JSON,
        body=ContactOut.of(contact, terms, rules.fields),
        headers={"ETag": service.contact_etag(contact)},
    )


@app.get("/contacts/<contact_id>", summary="Read one contact", tags=["contacts"], openapi_extensions=_ETAG)
def get_contact(
    actor: CurrentActor, terms: CurrentTerms, rules: StaffContactRules, contacts: Contacts, contact_id: str
) -> Response[ContactOut]:
    """The contact with its custom values; its `ETag` header is its version, for `If-Match` on a
    change."""
    return _with_etag(service.get_contact(contacts, actor, contact_id), terms, rules)


@app.patch(
    "/contacts/<contact_id>",
    summary="Change a contact",
    tags=["contacts"],
    openapi_extensions={
        **errors(
            ErrorCode.EMAIL_TAKEN,
            ErrorCode.CUSTOMER_NUMBER_TAKEN,
            ErrorCode.INVALID_PHONE,
            ErrorCode.VALIDATION_ERROR,
            ErrorCode.PRECONDITION_FAILED,
        ),
        **_ETAG,
    },
)
def update_contact(
    actor: CurrentActor,
    terms: CurrentTerms,
    rules: StaffContactRules,
    contacts: Contacts,
    logins: Logins,
    contact_id: str,
    patch: ContactPatch,
    if_match: IfMatch = None,
) -> Response[ContactOut]:
    """Changes the given fields; `custom` changes the given keys (null removes one) and is checked
    against the tenant's custom fields, required ones included. Without `If-Match` the last change
    wins; with it, a change made meanwhile answers 412 and this one is not applied. The answer's
    `ETag` is the new version."""
    changed = service.update_contact(
        contacts, actor, contact_id, patch, logins.change_email, if_match=if_match, rules=rules
    )
    return _with_etag(changed, terms, rules)


@app.delete(
    "/contacts/<contact_id>",
    summary="Delete a contact and its jobs",
    tags=["contacts"],
    status_code=204,
    openapi_extensions=errors(ErrorCode.JOBS_IN_PROGRESS),
)
def delete_contact(actor: CurrentActor, ports: ContactDeletion, contact_id: str) -> Response[None]:
    """Deletes the contact with its jobs; 409 `jobs_in_progress` while one is processing."""
    cascade.delete_contact(ports, actor, contact_id)
    metrics.add_metric(name="ContactDeleted", unit=MetricUnit.Count, value=1)
    return Response(status_code=204)


@app.post(
    "/contacts/bulk-delete", summary="Delete up to 100 contacts, each all or nothing", tags=["contacts"]
)
def bulk_delete(actor: CurrentActor, ports: ContactDeletion, request: BulkIds) -> BulkResults:
    results = cascade.delete_contacts(ports, actor, request.ids)
    deleted = sum(1 for result in results if result.status is BulkStatus.DELETED)
    metrics.add_metric(name="ContactDeleted", unit=MetricUnit.Count, value=deleted)
    return BulkResults(results=results)


@app.post(
    "/contacts/<contact_id>/activation-request",
    summary="Mail the contact a new activation link (not registered or inactive)",
    tags=["status"],
    status_code=202,
    openapi_extensions=errors(ErrorCode.INVALID_TRANSITION),
)
def request_activation(
    actor: CurrentActor,
    contacts: Contacts,
    tenants: Tenants,
    activations: Activations,
    mail: Mail,
    contact_id: str,
) -> Response[ActivationRequested]:
    sent = activation.request_activation(contacts, tenants, activations, mail, actor, contact_id)
    metrics.add_metric(name="ActivationRequested", unit=MetricUnit.Count, value=1)
    return accepted(sent)


# The staff status actions: one route each, all the same shape (the change comes from the table).
_STATUS_ROUTES = (
    (
        "POST",
        "/contacts/<contact_id>/activate",
        Action.ACTIVATE,
        "Activate (inactive or deactivated → active)",
    ),
    ("POST", "/contacts/<contact_id>/deactivate", Action.DEACTIVATE, "Deactivate (active → deactivated)"),
    (
        "DELETE",
        "/contacts/<contact_id>/identities",
        Action.DELETE_IDENTITIES,
        "Delete the login identity (active → not registered); the contact and its jobs stay",
    ),
)


def _status_route(action: Action) -> Callable[..., ContactOut]:
    def route(
        actor: CurrentActor, terms: CurrentTerms, contacts: Contacts, logins: Logins, contact_id: str
    ) -> ContactOut:
        contact = lifecycle.change_status(contacts, logins, actor, contact_id, action)
        metrics.add_metric(name=f"Contact{action.title().replace('_', '')}", unit=MetricUnit.Count, value=1)
        return ContactOut.of(contact, terms)

    route.__name__ = route.__qualname__ = action.value  # the OpenAPI operation's name
    return route


for _method, _path, _action, _summary in _STATUS_ROUTES:
    app.route(
        _path,
        method=_method,
        summary=_summary,
        tags=["status"],
        openapi_extensions=errors(ErrorCode.INVALID_TRANSITION),
    )(_status_route(_action))


@app.post(
    "/contacts/activation-requests",
    summary="Queue activation mails for up to 100 contacts",
    tags=["status"],
    status_code=202,
)
def request_activations(
    actor: CurrentActor, contacts: Contacts, queue: MailQueue, request: BulkIds
) -> Response[BulkResults]:
    results = activation.queue_activation_requests(contacts, queue, actor, request.ids)
    return accepted(BulkResults(results=results))


@instrumented
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(prepare_event(event), context)
