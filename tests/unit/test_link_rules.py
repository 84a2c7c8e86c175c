"""Admission through the generic link on in-memory fakes: quotas per day, bytes per job and per
day, closed links, idempotent retries (the DynamoDB condition itself is proven in test_quota.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pforte.contacts.service import ContactStatus
from pforte.core.errors import DomainError, ErrorCode
from pforte.core.fields import email_key
from pforte.core.identity import Actor, Role
from pforte.links import service as links
from pforte.links.service import GenericLinkSettings, Submission, SubmissionAccepted, SubmissionPorts
from tests.fakes import (
    FakeKeys,
    FakeQueue,
    FakeStorage,
    InMemoryAdmissions,
    InMemoryContacts,
    InMemoryIdempotency,
    InMemoryLinks,
    InMemoryTenants,
    at,
)
from tests.unit.world import ACME, World

MIB = 1024 * 1024
# Noon in Berlin: the tenant's local day is 2026-11-23 (and 23:30 UTC is already the 24th there).
NOON = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)


@dataclass
class Portal:
    world: World = field(default_factory=World)
    links: InMemoryLinks = field(default_factory=InMemoryLinks)
    keys: FakeKeys = field(default_factory=FakeKeys)
    storage: FakeStorage = field(default_factory=FakeStorage)
    idempotency: InMemoryIdempotency = field(default_factory=InMemoryIdempotency)
    mail: FakeQueue = field(default_factory=FakeQueue)

    @property
    def contacts(self) -> InMemoryContacts:
        return self.world.contacts

    @property
    def tenants(self) -> InMemoryTenants:
        return self.world.tenants

    @property
    def admissions(self) -> InMemoryAdmissions:
        return self._admissions

    def __post_init__(self) -> None:
        self._admissions = InMemoryAdmissions(self.links, self.contacts)

    def ports(self) -> SubmissionPorts:
        return SubmissionPorts(
            links=self.links,
            keys=self.keys,
            tenants=self.tenants,
            contacts=self.contacts,
            admissions=self.admissions,
            storage=self.storage,
            idempotency=self.idempotency,
            mail=self.mail,
        )

    def configure(self, **limits: Any) -> None:
        settings = GenericLinkSettings.model_validate(
            {
                "expires_at": None,
                "max_jobs_per_day": 5,
                "max_job_bytes": 100 * MIB,
                "max_daily_bytes": 500 * MIB,
                **limits,
            }
        )
        links.configure_generic_link(self.links, self.keys, self.tenants, ACME, settings)

    def token(self) -> str:
        return str(links.link_token(self.keys.signing_key(), links.current_link(self.links, "acme")))

    def submit(
        self,
        *sizes: int,
        email: str = "kim@example.com",
        key: str | None = None,
        token: str | None = None,
        title: str = "Flyer",
    ) -> SubmissionAccepted:
        kinds = ["input", "model", *["support"] * 20]
        submission = Submission.model_validate(
            {
                "name": "Kim",
                "email": email,
                "title": title,
                "files": [
                    {"kind": kind, "filename": f"f{number}.pdf", "size": size}
                    for number, (kind, size) in enumerate(zip(kinds, sizes or (MIB,), strict=False))
                ],
            }
        )
        return links.submit(self.ports(), token or self.token(), submission, key)

    def today(self) -> tuple[int, int]:
        view = links.view_generic_link(self.links, self.keys, self.tenants, ACME)
        return view.jobs_today, view.bytes_today


@pytest.fixture
def portal(monkeypatch: pytest.MonkeyPatch) -> Portal:
    monkeypatch.setattr("pforte.links.service.utcnow", at(NOON))
    return Portal()


def refused(code: ErrorCode, portal: Portal, *sizes: int, **more: Any) -> DomainError:
    with pytest.raises(DomainError) as caught:
        portal.submit(*sizes, **more)
    assert caught.value.code is code, caught.value
    return caught.value


def test_a_submission_makes_an_incoming_job_for_a_new_not_registered_contact(portal: Portal) -> None:
    # GIVEN the tenant's generic link, and an address the tenant does not know
    # WHEN a customer sends a job with a PDF through it
    accepted = portal.submit(2 * MIB)
    # THEN a not registered contact, an incoming job, an upload form capped at the size, a count
    kim = portal.contacts.by_email("acme", email_key("kim@example.com"))
    assert kim is not None
    assert kim.status is ContactStatus.NOT_REGISTERED
    job = portal.admissions.jobs[accepted.job_id]
    assert (job.contact_id, job.state, job.title) == (kim.id, "incoming", "Flyer")
    assert [(u.name, u.max_bytes) for u in accepted.uploads] == [("input.pdf", 2 * MIB)]
    assert portal.storage.signed == [(f"tenants/acme/jobs/{job.id}/input.pdf", 2 * MIB)]
    assert portal.today() == (1, 2 * MIB)


def test_a_known_address_sends_for_its_contact(portal: Portal) -> None:
    mia = portal.world.contact("mia@example.com")
    accepted = portal.submit(email="Mia@Example.com")
    assert portal.admissions.jobs[accepted.job_id].contact_id == mia.id
    assert len(portal.contacts.of_tenant("acme")) == 1
    assert portal.world.stored(mia).version == mia.version + 1  # a job arrived: the contact changed


def test_the_jobs_of_a_day_are_limited(portal: Portal) -> None:
    # GIVEN a link that admits two jobs a day, both used
    portal.configure(max_jobs_per_day=2)
    portal.submit()
    portal.submit()
    # WHEN a third job comes THEN it is refused, naming the limit, and nothing is counted or made
    error = refused(ErrorCode.QUOTA_EXCEEDED, portal)
    assert error.details[0].field == "max_jobs_per_day"
    assert "2 jobs a day" in error.message
    assert portal.today() == (2, 2 * MIB)
    assert len(portal.admissions.jobs) == 2


def test_the_next_local_day_counts_afresh(portal: Portal, monkeypatch: pytest.MonkeyPatch) -> None:
    portal.configure(max_jobs_per_day=1)
    portal.submit()
    refused(ErrorCode.QUOTA_EXCEEDED, portal)
    # 23:30 UTC is 00:30 of the next day in Berlin: no reset needs to have run
    monkeypatch.setattr("pforte.links.service.utcnow", at(NOON.replace(hour=23, minute=30)))
    portal.submit()
    assert portal.today() == (1, MIB)


def test_a_job_larger_than_the_link_admits_is_refused_before_anything_is_counted(portal: Portal) -> None:
    portal.configure(max_job_bytes=10 * MIB, max_daily_bytes=20 * MIB)
    error = refused(ErrorCode.FILE_TOO_LARGE, portal, 6 * MIB, 5 * MIB)  # the job's files together
    assert error.details[0].field == "files"
    assert portal.today() == (0, 0)
    assert portal.storage.signed == []
    assert portal.contacts.of_tenant("acme") == []


def test_the_bytes_of_a_day_are_limited(portal: Portal) -> None:
    # GIVEN a link that admits 10 MiB a day, 8 MiB of it used
    portal.configure(max_job_bytes=10 * MIB, max_daily_bytes=10 * MIB)
    portal.submit(8 * MIB)
    # WHEN a job of 3 MiB comes THEN it is refused, naming the daily bytes
    error = refused(ErrorCode.QUOTA_EXCEEDED, portal, 3 * MIB)
    assert error.details[0].field == "max_daily_bytes"
    # AND a job that still fits is admitted, to exactly the limit
    portal.submit(2 * MIB)
    assert portal.today() == (2, 10 * MIB)


def test_an_expired_link_is_refused(portal: Portal) -> None:
    portal.configure(expires_at=(NOON + timedelta(days=1)).isoformat())
    portal.submit()
    link = portal.links.links["acme"]
    portal.links.links["acme"] = link.model_copy(update={"expires_at": NOON - timedelta(seconds=1)})
    refused(ErrorCode.LINK_EXPIRED, portal)
    assert portal.today() == (1, MIB)


def test_a_link_marked_expired_by_the_schedule_is_refused(portal: Portal) -> None:
    link = links.current_link(portal.links, "acme")
    portal.links.links["acme"] = link.model_copy(update={"expired": True})
    refused(ErrorCode.LINK_EXPIRED, portal)


def test_a_renewed_links_old_url_is_refused_at_once(portal: Portal) -> None:
    old = portal.token()
    admin = Actor(tenant_id="acme", user_id="admin-1", role=Role.ADMIN)
    links.renew_generic_link(portal.links, portal.keys, portal.tenants, admin)
    refused(ErrorCode.LINK_EXPIRED, portal, token=old)
    portal.submit()  # the new one works


def test_a_link_closed_between_reading_and_admitting_is_refused(portal: Portal) -> None:
    # The admission transaction checks the link again: a renewal in between wins.
    portal.submit()
    real_admit = portal.admissions.admit

    def renewed_first(admission: links.Admission) -> None:
        stored = portal.links.links["acme"]
        portal.links.links["acme"] = stored.model_copy(update={"nonce": links.new_nonce()})
        real_admit(admission)

    portal.admissions.admit = renewed_first  # type: ignore[method-assign]
    refused(ErrorCode.LINK_EXPIRED, portal)
    assert portal.today() == (1, MIB)


@pytest.mark.parametrize("token", ["", "acme", "acme." + "x" * 43, "globex." + "x" * 43, "no token at all"])
def test_an_unknown_token_is_link_expired(portal: Portal, token: str) -> None:
    refused(ErrorCode.LINK_EXPIRED, portal, token=token or " ")


def test_a_retry_with_the_same_key_answers_the_first_result_and_counts_once(portal: Portal) -> None:
    first = portal.submit(key="order-1")
    again = portal.submit(key="order-1")
    assert again == first
    assert portal.today() == (1, MIB)
    assert len(portal.admissions.jobs) == 1
    # another key is another job
    portal.submit(key="order-2")
    assert portal.today() == (2, 2 * MIB)


def test_the_same_key_with_another_body_is_a_conflict(portal: Portal) -> None:
    portal.submit(key="order-1")
    refused(ErrorCode.IDEMPOTENCY_CONFLICT, portal, key="order-1", title="Another flyer")
    assert portal.today() == (1, MIB)


def test_a_retry_after_a_refusal_is_refused_again_not_replayed(portal: Portal) -> None:
    portal.configure(max_jobs_per_day=1)
    portal.submit(key="a")
    refused(ErrorCode.QUOTA_EXCEEDED, portal, key="b")
    refused(ErrorCode.QUOTA_EXCEEDED, portal, key="b")
    assert portal.today() == (1, MIB)
