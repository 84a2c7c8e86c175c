"""Contact rules on in-memory repositories: no AWS involved."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pforte.contacts import service
from pforte.contacts.service import Contact, ContactCreate, ContactPatch, ContactQuery, ContactStatus
from pforte.core.errors import DomainError, ErrorCode
from pforte.core.fields import Language
from pforte.core.identity import Actor, Role
from pforte.core.pagination import decode_cursor, encode_cursor
from tests.fakes import InMemoryContacts

ACME = Actor(tenant_id="acme", user_id="u1", role=Role.OPERATOR)
GLOBEX = Actor(tenant_id="globex", user_id="u2", role=Role.ADMIN)


def add(repo: InMemoryContacts, actor: Actor = ACME, **fields: object) -> Contact:
    data = ContactCreate.model_validate({"name": "Anna", "email": "anna@example.com", **fields})
    return service.create_contact(repo, actor, data, Language.EN)


def test_a_new_contact_is_not_registered_in_the_default_language() -> None:
    contact = add(InMemoryContacts())
    assert contact.status is ContactStatus.NOT_REGISTERED
    assert contact.language is Language.EN
    assert contact.invitation_sent_at is None


def test_emails_are_kept_as_typed_and_compared_lowercased() -> None:
    repo = InMemoryContacts()
    assert add(repo, email=" Anna@Example.COM ").email == "Anna@Example.COM"
    with pytest.raises(DomainError) as taken:
        add(repo, email="anna@example.com")
    assert taken.value.code is ErrorCode.EMAIL_TAKEN
    assert add(repo, GLOBEX, email="anna@example.com").tenant_id == "globex"


def test_empty_company_is_no_company() -> None:
    assert add(InMemoryContacts(), company="  ").company is None


def test_a_contact_of_another_tenant_is_not_found() -> None:
    repo = InMemoryContacts()
    contact = add(repo)
    with pytest.raises(DomainError) as missing:
        service.get_contact(repo, GLOBEX, contact.id)
    assert missing.value.code is ErrorCode.NOT_FOUND


def test_an_unchanged_patch_writes_nothing() -> None:
    repo = InMemoryContacts()
    contact = add(repo)
    same = service.update_contact(repo, ACME, contact.id, ContactPatch(name="Anna"))
    assert same.version == contact.version
    assert same.updated_at == contact.updated_at


def test_a_patch_retries_when_someone_wrote_in_between() -> None:
    repo = InMemoryContacts()
    contact = add(repo)
    repo.stale_writes = 2
    changed = service.update_contact(repo, ACME, contact.id, ContactPatch(name="Anna B."))
    assert changed.name == "Anna B."
    assert repo.get("acme", contact.id) == changed
    assert changed.version == contact.version + 1


def test_a_patch_that_keeps_losing_the_race_fails_cleanly() -> None:
    repo = InMemoryContacts()
    contact = add(repo)
    repo.stale_writes = 99
    with pytest.raises(DomainError):
        service.update_contact(repo, ACME, contact.id, ContactPatch(name="Anna B."))
    assert repo.get("acme", contact.id) == contact


def contact_with(**fields: object) -> Contact:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    base = {"id": "01J0000000000000000000000A", "tenant_id": "acme", "name": "Anna Becker"}
    return Contact.model_validate({**base, "email": "a@b.de", "created_at": now, "updated_at": now, **fields})


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (ContactQuery(), True),
        (ContactQuery(q="BECK"), True),
        (ContactQuery(q="druck"), True),
        (ContactQuery(q="nobody"), False),
        (ContactQuery(company="druckhaus"), True),
        (ContactQuery(company="druck"), False),
        (ContactQuery(status=ContactStatus.ACTIVE), False),
        (ContactQuery(invited=False), True),
        (ContactQuery(invited=True), False),
    ],
)
def test_what_each_filter_means(query: ContactQuery, expected: bool) -> None:
    assert query.matches(contact_with(company="Druckhaus")) is expected


def test_invited_means_an_invitation_was_sent() -> None:
    invited = contact_with(invitation_sent_at=datetime(2026, 1, 2, tzinfo=UTC))
    assert ContactQuery(invited=True).matches(invited)
    assert not ContactQuery(invited=False).matches(invited)


@given(st.from_regex(r"[0-9A-HJKMNP-TV-Z]{26}", fullmatch=True).filter(lambda s: s[0] <= "7"))
def test_cursors_round_trip(contact_id: str) -> None:
    assert decode_cursor(encode_cursor(contact_id)) == contact_id


@pytest.mark.parametrize("cursor", ["x", "djE6bm9wZQ", "%%%", "djI6MDFKMDAwMDAwMDAwMDAwMDAwMDAwMDAwMEE"])
def test_foreign_cursors_are_a_validation_error(cursor: str) -> None:
    with pytest.raises(DomainError) as invalid:
        decode_cursor(cursor)
    assert invalid.value.code is ErrorCode.VALIDATION_ERROR


def test_paging_the_fake_visits_every_contact_once() -> None:
    repo = InMemoryContacts()
    ids = {add(repo, email=f"c{i}@example.com").id for i in range(11)}
    seen: list[str] = []
    after = None
    while True:
        page = service.list_contacts(repo, ACME, ContactQuery(), after, 4)
        seen += [c.id for c in page.items]
        after = page.after
        if after is None:
            break
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(ids)
