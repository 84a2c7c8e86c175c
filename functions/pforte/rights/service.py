"""Portal rights: permission groups, which contacts have them, and what a customer may do.

Every tenant has a built-in default group (id `default`, all rights) from its creation on: it is
stored only once it is first changed, so tenants made before groups existed have it too. A contact
never given groups explicitly is in the tenant's default group (the tenant setting
`default_permission_group_id`); so every new contact starts there, however it was made.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal, Protocol

from pydantic import AfterValidator, ConfigDict, Field

from pforte.contacts.service import Contact, ContactOut
from pforte.core.clock import is_id, new_id, utcnow
from pforte.core.errors import DomainError, ErrorCode, forbidden, must_exist, not_found, validation_error
from pforte.core.fields import Language, Name, Timestamp
from pforte.core.identity import Actor, require_admin
from pforte.core.model import Model
from pforte.core.retry import Retry, with_retries
from pforte.rights.catalogue import ALL_RIGHTS, Right
from pforte.tenants.service import DEFAULT_PERMISSION_GROUP_ID, Tenant, TenantRepository, get_tenant

DEFAULT_GROUP_ID = DEFAULT_PERMISSION_GROUP_ID
MAX_GROUPS = 50  # per tenant, besides the built-in default group
MAX_GROUPS_PER_CONTACT = 20
_DEFAULT_GROUP_NAME = {Language.DE: "Standard", Language.EN: "Default"}


def _distinct(rights: list[Right]) -> list[Right]:
    """In catalogue order, each once: a group's rights are a set."""
    return [right for right in ALL_RIGHTS if right in rights]


Rights = Annotated[list[Right], Field(max_length=len(ALL_RIGHTS) * 2), AfterValidator(_distinct)]


class PermissionGroup(Model):
    model_config = ConfigDict(extra="forbid")

    id: str
    tenant_id: str
    name: str
    rights: list[Right]
    created_at: datetime
    updated_at: datetime
    version: int = 0  # 0: the built-in default group, not stored yet
    # Set while the group is being deleted: it can be given to nobody any more.
    deleting: bool = False


def builtin_default_group(tenant: Tenant) -> PermissionGroup:
    """The default group every tenant has from its creation on, as long as it was never changed."""
    return PermissionGroup(
        id=DEFAULT_GROUP_ID,
        tenant_id=tenant.id,
        name=_DEFAULT_GROUP_NAME[tenant.default_language],
        rights=list(ALL_RIGHTS),
        created_at=tenant.created_at,
        updated_at=tenant.created_at,
    )


def is_group_id(value: str) -> bool:
    return value == DEFAULT_GROUP_ID or is_id(value)


# --- API shapes ---------------------------------------------------------------------------------


class GroupCreate(Model):
    model_config = ConfigDict(extra="forbid")

    name: Name
    rights: Rights


class GroupPatch(Model):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    rights: Rights | None = None
    is_default: Literal[True] | None = Field(
        default=None, description="Make this the default group of new contacts (the tenant setting)."
    )


class GroupOut(Model):
    id: str
    name: str
    rights: list[Right]
    is_default: bool
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def of(cls, group: PermissionGroup, tenant: Tenant) -> "GroupOut":
        return cls(
            id=group.id,
            name=group.name,
            rights=group.rights,
            is_default=group.id == tenant.default_permission_group_id,
            created_at=group.created_at,
            updated_at=group.updated_at,
        )


class GroupList(Model):
    """Every group of the tenant (at most MAX_GROUPS + 1): the default one first, then newest first."""

    items: list[GroupOut]
    next_cursor: str | None = None


GroupIds = Annotated[list[str], Field(max_length=MAX_GROUPS_PER_CONTACT)]


class ContactGroupsPut(Model):
    model_config = ConfigDict(extra="forbid")

    ids: GroupIds


class ContactGroupsOut(Model):
    ids: list[str]
    rights: list[Right] = Field(description="The union of the groups' rights.")
    explicit: bool = Field(description="False while the contact is in the tenant's default group by default.")


class Me(ContactOut):
    """The signed-in customer's profile, with what the portal lets them do."""

    rights: list[Right]


# --- ports ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Assignment:
    """The groups given to a contact; `version` 0 while none were given (the default applies)."""

    tenant_id: str
    contact_id: str
    ids: tuple[str, ...]
    version: int = 0


class GroupChanged(Exception):
    """Raised by the repository when what a write started from changed meanwhile."""


class GroupGone(Exception):
    """Raised by the repository when a group to give is missing or being deleted."""

    def __init__(self, group_id: str) -> None:
        super().__init__(group_id)
        self.group_id = group_id


class ContactMissing(Exception):
    """Raised by the repository when the contact to give groups is gone (or being deleted)."""


class LimitReached(Exception):
    """Raised by the repository when the tenant has MAX_GROUPS groups already."""


class DefaultChanged(Exception):
    """Raised by the repository when a group to delete is (now) the tenant's default."""


class GroupRepository(Protocol):
    def get(self, tenant_id: str, group_id: str) -> PermissionGroup | None:
        """The stored group (the built-in default only once it was changed)."""

    def get_many(self, tenant_id: str, group_ids: Sequence[str]) -> list[PermissionGroup]: ...

    def all(self, tenant_id: str) -> list[PermissionGroup]:
        """Every stored group, newest first."""

    def add(self, group: PermissionGroup) -> None:
        """Store a new group and count it; LimitReached if MAX_GROUPS exist."""

    def save(self, group: PermissionGroup, previous: PermissionGroup | None, make_default: bool) -> None:
        """Store the group if it is still `previous` (None: not stored yet), making it the tenant's
        default in the same write if asked; GroupChanged otherwise."""

    def mark_deleting(self, group: PermissionGroup, previous: PermissionGroup | None) -> None:
        """Freeze the group (no contact can be given it any more); GroupChanged if it changed."""

    def unmark(self, group: PermissionGroup) -> None: ...

    def remove(self, group: PermissionGroup) -> None:
        """Delete the frozen group and uncount it, unless it is the tenant's default (DefaultChanged)."""

    def has_members(self, tenant_id: str, group_id: str) -> bool: ...

    def members(self, tenant_id: str, group_id: str, limit: int) -> list[str]:
        """Up to `limit` ids of contacts given the group explicitly."""

    def assignment(self, tenant_id: str, contact_id: str) -> Assignment: ...

    def assign(self, previous: Assignment, ids: Sequence[str]) -> Assignment:
        """Give the contact exactly these groups if its groups are still `previous` (GroupChanged)
        and every group exists and is not being deleted (GroupGone), with the member index, all
        in one write; ContactMissing if the contact is gone."""


# --- rules ------------------------------------------------------------------------------------


def effective_ids(assignment: Assignment, tenant: Tenant) -> tuple[str, ...]:
    """The groups a contact is in: those given, or else the tenant's default group."""
    return assignment.ids if assignment.version else (tenant.default_permission_group_id,)


def union_of(groups: Iterable[PermissionGroup]) -> list[Right]:
    """What the groups allow together, in catalogue order; a group being deleted allows nothing."""
    allowed = {right for group in groups if not group.deleting for right in group.rights}
    return [right for right in ALL_RIGHTS if right in allowed]


def missing_right(right: Right) -> DomainError:
    return forbidden(f"This needs the right {right.value!r}, which your account does not have.")


def check_right(rights: Iterable[Right], right: Right) -> None:
    if right not in set(rights):
        raise missing_right(right)


# --- services ---------------------------------------------------------------------------------


def _group(groups: GroupRepository, tenant: Tenant, group_id: str) -> tuple[PermissionGroup, bool]:
    """The group and whether it is stored; the built-in default counts as there until stored."""
    stored = groups.get(tenant.id, group_id) if is_group_id(group_id) else None
    if stored is not None:
        return stored, True
    if group_id == DEFAULT_GROUP_ID:
        return builtin_default_group(tenant), False
    raise not_found("Permission group")


def _resolve(groups: GroupRepository, tenant: Tenant, ids: Sequence[str]) -> list[PermissionGroup]:
    found = {group.id: group for group in groups.get_many(tenant.id, [i for i in ids if is_group_id(i)])}
    if DEFAULT_GROUP_ID in ids and DEFAULT_GROUP_ID not in found:
        found[DEFAULT_GROUP_ID] = builtin_default_group(tenant)
    return [found[i] for i in ids if i in found]


def list_groups(groups: GroupRepository, tenants: TenantRepository, actor: Actor) -> GroupList:
    tenant = get_tenant(tenants, actor)
    stored = groups.all(tenant.id)
    if all(group.id != DEFAULT_GROUP_ID for group in stored):
        stored.insert(0, builtin_default_group(tenant))
    stored.sort(key=lambda group: group.id != DEFAULT_GROUP_ID)  # stable: the rest stays newest first
    return GroupList(items=[GroupOut.of(group, tenant) for group in stored])


def get_group(groups: GroupRepository, tenants: TenantRepository, actor: Actor, group_id: str) -> GroupOut:
    tenant = get_tenant(tenants, actor)
    return GroupOut.of(_group(groups, tenant, group_id)[0], tenant)


def create_group(
    groups: GroupRepository, tenants: TenantRepository, actor: Actor, data: GroupCreate
) -> GroupOut:
    require_admin(actor)
    tenant = get_tenant(tenants, actor)
    now = utcnow()
    group = PermissionGroup(
        id=new_id(),
        tenant_id=tenant.id,
        name=data.name,
        rights=data.rights,
        created_at=now,
        updated_at=now,
        version=1,
    )
    try:
        groups.add(group)
    except LimitReached:
        raise DomainError(
            ErrorCode.LIMIT_REACHED, f"A tenant can have at most {MAX_GROUPS} permission groups."
        ) from None
    return GroupOut.of(group, tenant)


def update_group(
    groups: GroupRepository, tenants: TenantRepository, actor: Actor, group_id: str, patch: GroupPatch
) -> GroupOut:
    require_admin(actor)
    given = patch.model_fields_set
    cleared = sorted(name for name in given if getattr(patch, name) is None)
    if cleared:
        raise validation_error(cleared[0], "This field is required and cannot be cleared.")

    def attempt() -> GroupOut:
        tenant = get_tenant(tenants, actor)
        group, stored = _group(groups, tenant, group_id)
        if group.deleting:
            raise not_found("Permission group")
        changes: dict[str, object] = {name: getattr(patch, name) for name in given & {"name", "rights"}}
        make_default = bool(patch.is_default) and tenant.default_permission_group_id != group.id
        if not changes and not make_default:
            return GroupOut.of(group, tenant)
        updated = group.model_copy(update={**changes, "updated_at": utcnow(), "version": group.version + 1})
        try:
            groups.save(updated, group if stored else None, make_default)
        except GroupChanged:
            raise Retry from None
        if make_default:
            tenant = tenant.model_copy(update={"default_permission_group_id": group.id})
        return GroupOut.of(updated, tenant)

    return with_retries(attempt, exhausted=lambda: RuntimeError("The group kept changing; try again."))


def default_group_error() -> DomainError:
    return DomainError(
        ErrorCode.DEFAULT_GROUP,
        "The default group of new contacts cannot be deleted; make another one the default first.",
    )


REASSIGN_BATCH = 100


def delete_group(
    groups: GroupRepository,
    tenants: TenantRepository,
    actor: Actor,
    group_id: str,
    reassign_to: str | None,
) -> None:
    """Delete a group. One in use only with `reassign_to`: its members get that group instead.
    The built-in default group and the tenant's default group are never deleted."""
    require_admin(actor)
    tenant = get_tenant(tenants, actor)
    group, stored = _group(groups, tenant, group_id)
    if group.id == DEFAULT_GROUP_ID:
        raise DomainError(
            ErrorCode.DEFAULT_GROUP,
            "The built-in group is every tenant's and cannot be deleted; change its rights instead.",
        )
    if group.id == tenant.default_permission_group_id:
        raise default_group_error()
    target: PermissionGroup | None = None
    if reassign_to is not None:
        target = next(iter(_resolve(groups, tenant, [reassign_to])), None)
        if target is None or target.deleting or target.id == group.id:
            raise validation_error("reassign_to", "Name another existing permission group.")
    try:
        groups.mark_deleting(group, group if stored else None)
    except GroupChanged:
        raise not_found("Permission group") from None  # deleted meanwhile
    frozen = group.model_copy(update={"deleting": True})
    if target is None:
        if groups.has_members(tenant.id, group.id):
            groups.unmark(frozen)
            raise DomainError(
                ErrorCode.GROUP_IN_USE,
                "Contacts have this group; delete it with ?reassign_to=<group id> to give them another.",
            )
    else:
        # Moved members leave the index; a contact whose own delete is under way stays in it
        # until that delete ends (which removes its member items), so it is tried once only.
        tried: set[str] = set()
        while fresh := [i for i in groups.members(tenant.id, group.id, REASSIGN_BATCH) if i not in tried]:
            for contact_id in fresh:
                _reassign(groups, tenant.id, contact_id, group.id, target.id)
            tried.update(fresh)
    try:
        groups.remove(frozen)
    except DefaultChanged:
        groups.unmark(frozen)
        raise default_group_error() from None


def _reassign(groups: GroupRepository, tenant_id: str, contact_id: str, old: str, new: str) -> None:
    def attempt() -> None:
        current = groups.assignment(tenant_id, contact_id)
        ids = [new if i == old else i for i in current.ids]
        try:
            groups.assign(current, list(dict.fromkeys(ids)))
        except GroupChanged:
            raise Retry from None
        except GroupGone as gone:
            if gone.group_id == new:
                raise validation_error("reassign_to", "That group was deleted meanwhile.") from None
            raise Retry from None
        except ContactMissing:
            pass  # deleted meanwhile: its index items went with it

    with_retries(attempt, exhausted=lambda: RuntimeError("The contact's groups kept changing; try again."))


def contact_groups(
    groups: GroupRepository, tenants: TenantRepository, tenant: Tenant | None, contact: Contact
) -> ContactGroupsOut:
    tenant = tenant or must_exist(tenants.get(contact.tenant_id), "Tenant")
    assignment = groups.assignment(contact.tenant_id, contact.id)
    ids = effective_ids(assignment, tenant)
    return ContactGroupsOut(
        ids=list(ids), rights=union_of(_resolve(groups, tenant, ids)), explicit=bool(assignment.version)
    )


def rights_of(
    groups: GroupRepository, tenants: TenantRepository, tenant_id: str, contact_id: str
) -> list[Right]:
    """The contact's effective rights: the union of its groups' rights."""
    tenant = must_exist(tenants.get(tenant_id), "Tenant")
    ids = effective_ids(groups.assignment(tenant_id, contact_id), tenant)
    return union_of(_resolve(groups, tenant, ids))


def assign_groups(
    groups: GroupRepository,
    tenants: TenantRepository,
    actor: Actor,
    contact: Contact,
    data: ContactGroupsPut,
) -> ContactGroupsOut:
    """Give the contact exactly these groups (admins); an empty list takes every right away."""
    require_admin(actor)
    tenant = get_tenant(tenants, actor)
    ids = list(dict.fromkeys(data.ids))
    unknown = [index for index, i in enumerate(data.ids) if not is_group_id(i)]
    if unknown:
        raise validation_error(f"ids.{unknown[0]}", "No such permission group.")

    def attempt() -> None:
        current = groups.assignment(tenant.id, contact.id)
        try:
            groups.assign(current, ids)
        except GroupChanged:
            raise Retry from None
        except ContactMissing:
            raise not_found("Contact") from None
        except GroupGone as gone:
            raise validation_error(
                f"ids.{data.ids.index(gone.group_id)}", "No such permission group."
            ) from None

    with_retries(attempt, exhausted=lambda: RuntimeError("The contact's groups kept changing; try again."))
    return contact_groups(groups, tenants, tenant, contact)
