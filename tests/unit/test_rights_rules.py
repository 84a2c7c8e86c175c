"""The rules of portal rights on in-memory fakes: the default group, the union of rights, who may
change groups, deleting a group in use, and whether a job mail goes out."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import pytest
from aws_lambda_powertools.event_handler import Depends

from infra.local.events import lambda_context
from pforte.contacts.service import Contact
from pforte.core.clock import new_id, utcnow
from pforte.core.errors import DomainError, ErrorCode
from pforte.core.identity import Actor, Customer, Role
from pforte.http import auth
from pforte.http.resolver import create_app
from pforte.jobs.service import Job, JobState
from pforte.rights import notifications, service
from pforte.rights.catalogue import ALL_RIGHTS, Right
from pforte.rights.notifications import NotificationPreferences, QueuedJobMail, receives_mail
from pforte.rights.service import (
    Assignment,
    ContactGroupsPut,
    GroupCreate,
    GroupPatch,
    PermissionGroup,
    effective_ids,
    union_of,
)
from tests.fakes import InMemoryGroups, InMemoryJobs
from tests.unit.world import World

ADMIN = Actor(tenant_id="acme", user_id="admin-1", role=Role.ADMIN)
OPERATOR = Actor(tenant_id="acme", user_id="staff-1", role=Role.OPERATOR)


@dataclass
class Rights:
    world: World = field(default_factory=World)
    groups: InMemoryGroups = field(init=False)

    def __post_init__(self) -> None:
        self.groups = InMemoryGroups(self.world.contacts, self.world.tenants)

    def group(self, name: str, *rights: Right) -> str:
        data = GroupCreate.model_validate({"name": name, "rights": list(rights)})
        return service.create_group(self.groups, self.world.tenants, ADMIN, data).id

    def give(self, contact: Contact, *ids: str) -> list[Right]:
        data = ContactGroupsPut(ids=list(ids))
        return service.assign_groups(self.groups, self.world.tenants, ADMIN, contact, data).rights

    def rights(self, contact: Contact) -> list[Right]:
        return service.rights_of(self.groups, self.world.tenants, contact.tenant_id, contact.id)


@pytest.fixture
def rights() -> Rights:
    return Rights()


def _group(*rights: Right, deleting: bool = False) -> PermissionGroup:
    now = utcnow()
    return PermissionGroup(
        id=new_id(),
        tenant_id="acme",
        name="G",
        rights=list(rights),
        created_at=now,
        updated_at=now,
        deleting=deleting,
    )


# --- pure rules -------------------------------------------------------------------------------------


def test_the_union_is_in_catalogue_order_and_a_group_being_deleted_gives_nothing() -> None:
    groups = [_group(Right.PROFILE_EDIT, Right.JOBS_VIEW), _group(Right.JOBS_VIEW, Right.MESSAGES_READ)]
    assert union_of(groups) == [Right.JOBS_VIEW, Right.MESSAGES_READ, Right.PROFILE_EDIT]
    assert union_of([_group(Right.JOBS_VIEW, deleting=True)]) == []
    assert union_of([]) == []


def test_a_contact_never_given_groups_is_in_the_tenants_default_group(rights: Rights) -> None:
    tenant = rights.world.tenants.items["acme"]
    assert effective_ids(Assignment("acme", "c", ()), tenant) == ("default",)
    assert effective_ids(Assignment("acme", "c", (), version=2), tenant) == ()  # given none: none
    moved = tenant.model_copy(update={"default_permission_group_id": "g1"})
    assert effective_ids(Assignment("acme", "c", ()), moved) == ("g1",)


def test_a_groups_rights_are_a_set_and_only_from_the_catalogue() -> None:
    data = GroupCreate.model_validate({"name": "G", "rights": ["profile.edit", "jobs.view", "profile.edit"]})
    assert data.rights == [Right.JOBS_VIEW, Right.PROFILE_EDIT]
    with pytest.raises(ValueError, match="rights"):
        GroupCreate.model_validate({"name": "G", "rights": ["jobs.delete"]})
    assert [right.value for right in ALL_RIGHTS] == [
        "jobs.view",
        "jobs.submit",
        "jobs.download",
        "documents.view",
        "messages.read",
        "profile.edit",
    ]


def test_a_missing_right_is_forbidden_and_named() -> None:
    service.check_right([Right.JOBS_VIEW], Right.JOBS_VIEW)
    with pytest.raises(DomainError) as refused:
        service.check_right([Right.JOBS_VIEW], Right.PROFILE_EDIT)
    assert refused.value.code is ErrorCode.FORBIDDEN
    assert "profile.edit" in refused.value.message


@pytest.mark.parametrize(
    ("email", "deliverable"),
    [
        ("anna@example.com", True),
        ("anna@mail.example.de.", True),
        ("anna@example.invalid", False),
        ("anna@INVALID", False),
        ("anna@host.localhost", False),
        ("", False),
    ],
)
def test_which_addresses_can_receive_mail(rights: Rights, email: str, deliverable: bool) -> None:
    contact = rights.world.contact().model_copy(update={"email": email})
    assert receives_mail(contact) is deliverable
    assert receives_mail(contact.model_copy(update={"deleting": True, "email": "anna@example.com"})) is False


# --- services on fakes ------------------------------------------------------------------------------


def test_the_built_in_default_group_is_listed_until_stored_then_stored(rights: Rights) -> None:
    tenants = rights.world.tenants
    (default,) = service.list_groups(rights.groups, tenants, OPERATOR).items
    assert (default.id, default.rights, default.is_default) == ("default", list(ALL_RIGHTS), True)
    assert rights.groups.groups == {}
    service.update_group(rights.groups, tenants, ADMIN, "default", GroupPatch(rights=[Right.JOBS_VIEW]))
    assert rights.groups.get("acme", "default") is not None
    newer = rights.group("Newer")
    assert [g.id for g in service.list_groups(rights.groups, tenants, OPERATOR).items] == ["default", newer]
    assert rights.rights(rights.world.contact()) == [Right.JOBS_VIEW]


@pytest.mark.parametrize("action", ["create", "update", "delete", "assign"])
def test_only_admins_change_groups(rights: Rights, action: str) -> None:
    tenants, groups = rights.world.tenants, rights.groups
    group = rights.group("G", Right.JOBS_VIEW)
    contact = rights.world.contact()
    calls: dict[str, Callable[[], object]] = {
        "create": lambda: service.create_group(groups, tenants, OPERATOR, GroupCreate(name="X", rights=[])),
        "update": lambda: service.update_group(groups, tenants, OPERATOR, group, GroupPatch(name="X")),
        "delete": lambda: service.delete_group(groups, tenants, OPERATOR, group, None),
        "assign": lambda: service.assign_groups(
            groups, tenants, OPERATOR, contact, ContactGroupsPut(ids=[group])
        ),
    }
    with pytest.raises(DomainError) as refused:
        calls[action]()
    assert refused.value.code is ErrorCode.FORBIDDEN
    assert [g.name for g in groups.all("acme")] == ["G"]
    assert groups.assignment("acme", contact.id).version == 0


def test_rights_are_the_union_of_the_groups_given(rights: Rights) -> None:
    contact = rights.world.contact()
    assert rights.rights(contact) == list(ALL_RIGHTS)
    viewers = rights.group("Viewers", Right.JOBS_VIEW)
    editors = rights.group("Editors", Right.PROFILE_EDIT, Right.JOBS_VIEW)
    assert rights.give(contact, viewers, editors) == [Right.JOBS_VIEW, Right.PROFILE_EDIT]
    assert rights.rights(contact) == [Right.JOBS_VIEW, Right.PROFILE_EDIT]
    assert rights.give(contact) == []


def test_a_group_in_use_needs_reassign_to_and_the_default_is_never_deleted(rights: Rights) -> None:
    tenants, groups = rights.world.tenants, rights.groups
    viewers, editors = rights.group("Viewers", Right.JOBS_VIEW), rights.group("Editors", Right.PROFILE_EDIT)
    mia, noah = rights.world.contact(), rights.world.contact("noah@example.com")
    rights.give(mia, viewers)
    rights.give(noah, viewers, editors)
    with pytest.raises(DomainError) as in_use:
        service.delete_group(groups, tenants, ADMIN, viewers, None)
    assert in_use.value.code is ErrorCode.GROUP_IN_USE
    stored = groups.get("acme", viewers)
    assert stored is not None
    assert not stored.deleting  # the freeze was lifted again
    service.delete_group(groups, tenants, ADMIN, viewers, editors)
    assert groups.get("acme", viewers) is None
    assert groups.assignment("acme", mia.id).ids == (editors,)
    assert groups.assignment("acme", noah.id).ids == (editors,)  # once, not twice
    for group_id in ("default", editors):
        if group_id == editors:
            service.update_group(groups, tenants, ADMIN, editors, GroupPatch(is_default=True))
        with pytest.raises(DomainError) as refused:
            service.delete_group(groups, tenants, ADMIN, group_id, "default")
        assert refused.value.code is ErrorCode.DEFAULT_GROUP


def test_a_group_being_deleted_cannot_be_given(rights: Rights) -> None:
    group = rights.group("G")
    stored = rights.groups.get("acme", group)
    assert stored is not None
    rights.groups.mark_deleting(stored, stored)
    with pytest.raises(DomainError) as refused:
        rights.give(rights.world.contact(), group)
    assert refused.value.code is ErrorCode.VALIDATION_ERROR
    assert refused.value.details[0].field == "ids.0"


# --- job mails ----------------------------------------------------------------------------------------


def _job(contact: Contact) -> Job:
    now = utcnow()
    return Job(
        id=new_id(),
        tenant_id=contact.tenant_id,
        contact_id=contact.id,
        title="Flyer",
        state=JobState.INCOMING,
        created_at=now,
        updated_at=now,
    )


@pytest.mark.parametrize(
    ("kind", "wanted", "sent"),
    [
        ("job_received", {}, True),
        ("job_received", {"job_received": False}, False),
        ("job_received", {"job_completed": False}, True),
        ("job_completed", {"job_completed": False}, False),
        ("job_completed", {"job_received": False}, True),
    ],
)
def test_a_job_mail_goes_only_when_wanted_and_only_once(
    rights: Rights, kind: str, wanted: dict[str, bool], sent: bool
) -> None:
    world = rights.world
    contact = world.contact()
    jobs = InMemoryJobs(world.contacts)
    job = _job(contact)
    jobs.add(job)
    notifications.put_preferences(rights.groups, contact, NotificationPreferences.model_validate(wanted))
    message = QueuedJobMail.model_validate(
        {"kind": kind, "request_id": new_id(), "tenant_id": "acme", "job_id": job.id}
    )

    def send() -> bool:
        return notifications.send_job_mail(
            world.contacts,
            world.tenants,
            jobs,
            rights.groups,
            rights.groups,
            rights.groups,
            world.mailer,
            message,
        )

    assert send() is sent
    assert send() is False  # a repeated message sends nothing
    mails = world.mailer.to(contact.email)
    assert len(mails) == int(sent)
    if sent:
        assert mails[0].template == f"{kind}.en"  # the contact's language
        assert "Flyer" in mails[0].subject
        assert rights.groups.log == [(contact.id, f"{kind}.en")]


def test_requires_right_gives_a_dependency_that_refuses_without_the_right() -> None:
    customer = Customer(tenant_id="acme", contact_id=new_id())
    needs_view = auth.requires_right(Right.JOBS_VIEW)
    assert needs_view(customer, frozenset({Right.JOBS_VIEW})) == customer
    with pytest.raises(DomainError) as refused:
        needs_view(customer, frozenset({Right.PROFILE_EDIT}))
    assert (refused.value.code, "jobs.view" in refused.value.message) == (ErrorCode.FORBIDDEN, True)
    assert auth.profile_editor(customer, frozenset({Right.PROFILE_EDIT})) == customer
    with pytest.raises(DomainError):
        auth.profile_editor(customer, frozenset(ALL_RIGHTS) - {Right.PROFILE_EDIT})


@pytest.mark.parametrize(("held", "status"), [(frozenset(), 403), (frozenset({Right.JOBS_VIEW}), 200)])
def test_requires_right_guards_a_route(held: frozenset[Right], status: int) -> None:
    app = create_app()

    @app.get("/me/jobs")
    def _jobs(customer: Annotated[Customer, Depends(auth.requires_right(Right.JOBS_VIEW))]) -> dict[str, str]:
        return {"contact_id": customer.contact_id}

    def given(customer: Customer) -> frozenset[Right]:
        return held

    app.dependency_overrides[auth.customer_rights] = given
    claims = {
        "token_use": "id",
        "custom:tenant_id": "acme",
        "custom:contact_id": "01JAAAAAAAAAAAAAAAAAAAAAAA",
    }
    event = {
        "resource": "/me/jobs",
        "path": "/me/jobs",
        "httpMethod": "GET",
        "headers": {},
        "queryStringParameters": None,
        "pathParameters": None,
        "requestContext": {
            "resourcePath": "/me/jobs",
            "httpMethod": "GET",
            "requestId": "r",
            "stage": "test",
            "authorizer": {"claims": claims},
        },
        "body": None,
        "isBase64Encoded": False,
    }
    result: dict[str, Any] = app.resolve(event, lambda_context("test"))  # type: ignore[arg-type]
    assert result["statusCode"] == status
    if status == 403:
        assert "jobs.view" in json.loads(result["body"])["error"]["message"]
