"""Status actions on in-memory fakes: which transitions are allowed, and that the login identity
changes first, so that a failure leaves an action the user can repeat."""

from __future__ import annotations

import itertools

import pytest

from pforte.contacts.deletion import Deletion, delete_contact
from pforte.contacts.lifecycle import Action, change_status
from pforte.contacts.service import Contact, ContactStatus
from pforte.contacts.status import TRANSITIONS
from pforte.core.errors import DomainError, ErrorCode
from pforte.core.identity import Actor, Role
from pforte.jobs.service import Job, JobCreate, JobState, create_job
from tests.fakes import FakeContactFiles, FakeCustomerExports, FakeJobFiles, FakeQueue, InMemoryJobs
from tests.unit.world import ACME, GOOD_PASSWORD, World

STAFF_ACTIONS = (Action.ACTIVATE, Action.DEACTIVATE, Action.DELETE_IDENTITIES)
ALLOWED_FROM = {action: TRANSITIONS[action].allowed_from for action in STAFF_ACTIONS}
RESULT = {action: TRANSITIONS[action].to or ContactStatus.NOT_REGISTERED for action in STAFF_ACTIONS}
ALL = list(itertools.product(ContactStatus, STAFF_ACTIONS))
ALLOWED = [(status, action) for status, action in ALL if status in ALLOWED_FROM[action]]
REFUSED = [(status, action) for status, action in ALL if status not in ALLOWED_FROM[action]]


def act(world: World, contact: Contact, action: Action) -> Contact:
    return change_status(world.contacts, world.logins, ACME, contact.id, action)


def test_the_table_of_transitions_is_the_documented_one() -> None:
    assert {(s.value, a.value, RESULT[a].value) for s, a in ALLOWED} == {
        ("inactive", "activate", "active"),
        ("deactivated", "activate", "active"),
        ("active", "deactivate", "deactivated"),
        ("active", "delete_identities", "not_registered"),
    }


@pytest.mark.parametrize(("status", "action"), ALLOWED)
def test_an_allowed_action_moves_the_contact_and_its_login_together(
    status: ContactStatus, action: Action
) -> None:
    # GIVEN a contact in a status the action is allowed from
    world = World()
    contact = world.contact(status=status)
    # WHEN staff takes the action
    changed = act(world, contact, action)
    # THEN the stored contact has the new status, and the login agrees
    assert changed.status is RESULT[action]
    assert world.stored(contact) == changed
    assert changed.version == contact.version + 1
    identity = world.logins.identities.get(contact.id)
    if RESULT[action] is ContactStatus.ACTIVE:
        assert identity is not None
        assert identity.confirmed
        assert identity.enabled
    elif RESULT[action] is ContactStatus.DEACTIVATED:
        assert identity is not None
        assert not identity.enabled
    else:
        assert identity is None


@pytest.mark.parametrize(("status", "action"), REFUSED)
def test_a_refused_action_is_an_invalid_transition_and_changes_nothing(
    status: ContactStatus, action: Action
) -> None:
    world = World()
    contact = world.contact(status=status)
    identities_before = {
        key: (i.password, i.confirmed, i.enabled) for key, i in world.logins.identities.items()
    }
    with pytest.raises(DomainError) as refused:
        act(world, contact, action)
    assert refused.value.code is ErrorCode.INVALID_TRANSITION
    assert refused.value.details[0].message == status.value
    assert world.stored(contact) == contact
    assert world.logins.calls == []
    identities_after = {
        key: (i.password, i.confirmed, i.enabled) for key, i in world.logins.identities.items()
    }
    assert identities_after == identities_before


def test_activating_a_registration_drops_the_password_nobody_confirmed() -> None:
    # GIVEN a self-registered (inactive) contact: nobody showed the password is the mailbox owner's
    world = World()
    nora = world.contact(status=ContactStatus.INACTIVE)
    # WHEN staff activates it THEN the login is confirmed with a password nobody knows
    act(world, nora, Action.ACTIVATE)
    identity = world.logins.identities[nora.id]
    assert (identity.password, identity.confirmed, identity.enabled) == (None, True, True)


def test_reactivating_keeps_the_customers_own_password() -> None:
    world = World()
    mia = world.contact(status=ContactStatus.DEACTIVATED)
    act(world, mia, Action.ACTIVATE)
    identity = world.logins.identities[mia.id]
    assert (identity.password, identity.enabled) == (GOOD_PASSWORD, True)


@pytest.mark.parametrize(
    ("status", "action", "step"),
    [
        (ContactStatus.ACTIVE, Action.DEACTIVATE, "disable"),
        (ContactStatus.ACTIVE, Action.DELETE_IDENTITIES, "delete"),
        (ContactStatus.DEACTIVATED, Action.ACTIVATE, "confirm_and_enable"),
        (ContactStatus.INACTIVE, Action.ACTIVATE, "confirm_without_password"),
    ],
)
def test_a_failing_login_step_leaves_the_contact_as_it_was_and_the_action_repeatable(
    status: ContactStatus, action: Action, step: str
) -> None:
    # GIVEN a login pool that fails once
    world = World()
    contact = world.contact(status=status)
    world.logins.fail_next.add(step)
    # WHEN staff takes the action THEN it fails, and the contact keeps its status
    with pytest.raises(ConnectionError):
        act(world, contact, action)
    assert world.stored(contact).status is status
    # AND taking it again succeeds, contact and login agreeing
    assert act(world, contact, action).status is RESULT[action]
    assert world.logins.calls == [(step, contact.id), (step, contact.id)]


def test_the_login_changes_before_the_contact() -> None:
    world = World()
    mia = world.contact(status=ContactStatus.ACTIVE)
    seen: list[ContactStatus] = []
    disable = world.logins.disable

    def disable_and_look(contact: Contact) -> None:
        seen.append(world.stored(contact).status)
        disable(contact)

    world.logins.disable = disable_and_look  # type: ignore[method-assign]
    act(world, mia, Action.DEACTIVATE)
    assert seen == [ContactStatus.ACTIVE]  # the contact was still active while its login changed


def test_an_action_retries_when_someone_wrote_in_between() -> None:
    world = World()
    mia = world.contact(status=ContactStatus.ACTIVE)
    world.contacts.stale_writes = 1
    assert act(world, mia, Action.DEACTIVATE).status is ContactStatus.DEACTIVATED
    assert world.stored(mia).status is ContactStatus.DEACTIVATED


def test_a_contact_of_another_tenant_is_not_found() -> None:
    world = World()
    mia = world.contact(status=ContactStatus.ACTIVE)
    other = Actor(tenant_id="globex", user_id="staff-2", role=Role.ADMIN)
    with pytest.raises(DomainError) as missing:
        change_status(world.contacts, world.logins, other, mia.id, Action.DEACTIVATE)
    assert missing.value.code is ErrorCode.NOT_FOUND
    assert world.logins.identities[mia.id].enabled


# --- deleting a contact: the login after the contact, refused while a job is processing ---------------------


def deletion(world: World) -> tuple[Deletion, FakeJobFiles, FakeCustomerExports]:
    files, exports = FakeJobFiles(), FakeCustomerExports()
    ports = Deletion(world.contacts, world.logins, files, exports, FakeQueue(), FakeContactFiles())
    return ports, files, exports


def job_of(world: World, contact: Contact, state: JobState = JobState.NEW) -> Job:
    data = JobCreate(title="Flyer")
    job = create_job(InMemoryJobs(world.contacts), world.contacts, ACME, contact.id, data)
    if state is not JobState.NEW:
        job = job.model_copy(update={"state": state})
        world.contacts.jobs[(job.tenant_id, job.id)] = job
    return job


def test_deleting_a_contact_takes_its_login_jobs_files_and_backups() -> None:
    # GIVEN an active customer with a completed job
    world = World()
    mia = world.contact(status=ContactStatus.ACTIVE)
    job = job_of(world, mia, JobState.COMPLETED)
    ports, files, exports = deletion(world)
    # WHEN staff deletes it
    delete_contact(ports, ACME, mia.id)
    # THEN nothing of it is left
    assert world.contacts.get("acme", mia.id) is None
    assert world.contacts.jobs == {}
    assert mia.id not in world.logins.identities
    assert files.deleted == [job.id]
    assert exports.deleted == [("acme", mia.id)]
    assert isinstance(ports.contact_files, FakeContactFiles)
    assert ports.contact_files.deleted == [("acme", mia.id)]  # its attachments
    # AND its address is free again
    assert world.contact("mia@example.com").id != mia.id


def test_a_contact_with_a_job_in_processing_is_not_deleted() -> None:
    world = World()
    mia = world.contact(status=ContactStatus.ACTIVE)
    job = job_of(world, mia, JobState.PROCESSING)
    ports, files, _ = deletion(world)
    with pytest.raises(DomainError) as refused:
        delete_contact(ports, ACME, mia.id)
    assert refused.value.code is ErrorCode.JOBS_IN_PROGRESS
    assert refused.value.details[0].field == f"jobs.{job.id}"
    assert world.stored(mia) == mia
    assert world.logins.identities[mia.id].enabled
    assert files.deleted == []


def test_a_delete_whose_contact_write_fails_changes_nothing_and_can_be_repeated() -> None:
    # GIVEN a delete whose contact write fails (someone kept writing in between)
    world = World()
    mia = world.contact(status=ContactStatus.ACTIVE)
    ports, _, _ = deletion(world)
    world.contacts.stale_writes = 99
    with pytest.raises(DomainError):
        delete_contact(ports, ACME, mia.id)
    # THEN the login stays (it goes after the contact's delete commits) and the contact is there
    assert world.logins.identities[mia.id].enabled
    assert world.contacts.get("acme", mia.id) is not None
    world.contacts.stale_writes = 0
    delete_contact(ports, ACME, mia.id)
    assert world.contacts.get("acme", mia.id) is None
