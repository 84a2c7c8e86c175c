"""Routes of the accounts function for permission groups, the contacts' groups and their
notification preferences (portal rights)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from pforte.contacts.service import get_contact
from pforte.core.errors import ErrorCode
from pforte.http.auth import CurrentActor
from pforte.http.deps.contacts import Contacts
from pforte.http.deps.rights import NotificationSettings, PermissionGroups
from pforte.http.deps.tenants import Tenants
from pforte.http.resolver import created, errors
from pforte.rights import notifications, service
from pforte.rights.notifications import NotificationPreferences
from pforte.rights.service import (
    ContactGroupsOut,
    ContactGroupsPut,
    GroupCreate,
    GroupList,
    GroupOut,
    GroupPatch,
)

router = APIGatewayRouter()  # type: ignore[no-untyped-call]


@router.get(
    "/permission-groups",
    summary="The tenant's permission groups: the default group first, then newest first",
    tags=["permission groups"],
)
def list_groups(actor: CurrentActor, groups: PermissionGroups, tenants: Tenants) -> GroupList:
    return service.list_groups(groups, tenants, actor)


@router.post(
    "/permission-groups",
    summary="Add a permission group (admins)",
    tags=["permission groups"],
    status_code=201,
    openapi_extensions=errors(ErrorCode.LIMIT_REACHED),
)
def create_group(
    actor: CurrentActor, groups: PermissionGroups, tenants: Tenants, data: GroupCreate
) -> Response[GroupOut]:
    group = service.create_group(groups, tenants, actor, data)
    return created(group, f"/permission-groups/{group.id}")


@router.get(
    "/permission-groups/<group_id>",
    summary="Read one permission group",
    tags=["permission groups"],
    openapi_extensions=errors(ErrorCode.NOT_FOUND),
)
def get_group(actor: CurrentActor, groups: PermissionGroups, tenants: Tenants, group_id: str) -> GroupOut:
    return service.get_group(groups, tenants, actor, group_id)


@router.patch(
    "/permission-groups/<group_id>",
    summary="Rename a permission group, change its rights, or make it the default of new contacts (admins)",
    tags=["permission groups"],
    openapi_extensions=errors(ErrorCode.NOT_FOUND),
)
def change_group(
    actor: CurrentActor, groups: PermissionGroups, tenants: Tenants, group_id: str, patch: GroupPatch
) -> GroupOut:
    return service.update_group(groups, tenants, actor, group_id, patch)


@router.delete(
    "/permission-groups/<group_id>",
    summary="Delete a permission group (admins)",
    description=(
        "A group that contacts have is deleted only with `reassign_to` (they get that group instead), "
        "else 409 `group_in_use`. The default group of new contacts is never deleted (409 `default_group`)."
    ),
    tags=["permission groups"],
    status_code=204,
    openapi_extensions=errors(ErrorCode.NOT_FOUND, ErrorCode.GROUP_IN_USE, ErrorCode.DEFAULT_GROUP),
)
def delete_group(
    actor: CurrentActor,
    groups: PermissionGroups,
    tenants: Tenants,
    group_id: str,
    reassign_to: Annotated[str | None, Query(min_length=1, max_length=40)] = None,
) -> Response[None]:
    service.delete_group(groups, tenants, actor, group_id, reassign_to)
    return Response(status_code=204)


@router.get(
    "/contacts/<contact_id>/permission-groups",
    summary="The contact's permission groups and the rights they give",
    tags=["permission groups"],
    openapi_extensions=errors(ErrorCode.NOT_FOUND),
)
def get_contact_groups(
    actor: CurrentActor, contacts: Contacts, groups: PermissionGroups, tenants: Tenants, contact_id: str
) -> ContactGroupsOut:
    contact = get_contact(contacts, actor, contact_id)
    return service.contact_groups(groups, tenants, None, contact)


@router.put(
    "/contacts/<contact_id>/permission-groups",
    summary="Give the contact exactly these permission groups (admins)",
    tags=["permission groups"],
    openapi_extensions=errors(ErrorCode.NOT_FOUND),
)
def put_contact_groups(
    actor: CurrentActor,
    contacts: Contacts,
    groups: PermissionGroups,
    tenants: Tenants,
    contact_id: str,
    data: ContactGroupsPut,
) -> ContactGroupsOut:
    contact = get_contact(contacts, actor, contact_id)
    return service.assign_groups(groups, tenants, actor, contact, data)


@router.get(
    "/contacts/<contact_id>/notifications",
    summary="Which mails the contact wants",
    tags=["notifications"],
    openapi_extensions=errors(ErrorCode.NOT_FOUND),
)
def get_notifications(
    actor: CurrentActor, contacts: Contacts, preferences: NotificationSettings, contact_id: str
) -> NotificationPreferences:
    return notifications.get_preferences(preferences, get_contact(contacts, actor, contact_id))


@router.put(
    "/contacts/<contact_id>/notifications",
    summary="Set which mails the contact wants (a preference left out is on)",
    tags=["notifications"],
    openapi_extensions=errors(ErrorCode.NOT_FOUND),
)
def put_notifications(
    actor: CurrentActor,
    contacts: Contacts,
    preferences: NotificationSettings,
    contact_id: str,
    data: NotificationPreferences,
) -> NotificationPreferences:
    contact = get_contact(contacts, actor, contact_id)
    return notifications.put_preferences(preferences, contact, data)
