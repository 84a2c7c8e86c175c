"""Concurrent changes of a contact: its version as `ETag`, honoured in `If-Match`."""

from __future__ import annotations

import pytest

from tests.api.conftest import Api


def anna(api: Api) -> tuple[str, str]:
    created = api.post("/contacts", {"name": "Anna", "email": "anna@example.com"})
    assert created.status == 201
    return str(created.body["id"]), created.headers["ETag"]


def test_reads_and_changes_carry_the_contacts_version_as_etag(api: Api) -> None:
    contact_id, etag = anna(api)
    assert etag == '"1"'
    assert api.get(f"/contacts/{contact_id}").headers["ETag"] == '"1"'
    changed = api.patch(f"/contacts/{contact_id}", {"company": "ACME"})
    assert changed.status == 200
    assert changed.headers["ETag"] == '"2"'
    assert api.get(f"/contacts/{contact_id}").headers["ETag"] == '"2"'


def test_a_change_with_the_current_etag_applies_and_answers_the_new_one(api: Api) -> None:
    contact_id, _ = anna(api)
    etag = api.get(f"/contacts/{contact_id}").headers["ETag"]
    changed = api.patch(f"/contacts/{contact_id}", {"name": "Anna K."}, headers={"If-Match": etag})
    assert changed.status == 200
    assert changed.body["name"] == "Anna K."
    assert changed.headers["ETag"] != etag
    assert changed.headers["ETag"] == api.get(f"/contacts/{contact_id}").headers["ETag"]


def test_a_change_with_a_stale_etag_is_a_412_and_changes_nothing(api: Api) -> None:
    contact_id, stale = anna(api)
    assert (
        api.patch(f"/contacts/{contact_id}", {"company": "ACME"}, headers={"If-Match": stale}).status == 200
    )
    before = api.get(f"/contacts/{contact_id}")
    refused = api.patch(f"/contacts/{contact_id}", {"company": "Globex"}, headers={"If-Match": stale})
    assert refused.status == 412
    assert refused.error_code == "precondition_failed"
    after = api.get(f"/contacts/{contact_id}")
    assert after.body == before.body
    assert after.headers["ETag"] == before.headers["ETag"]


@pytest.mark.parametrize("if_match", ["*", '"7", "1"'])
def test_star_or_a_list_naming_the_version_matches(api: Api, if_match: str) -> None:
    contact_id, _ = anna(api)
    assert (
        api.patch(f"/contacts/{contact_id}", {"company": "ACME"}, headers={"If-Match": if_match}).status
        == 200
    )


@pytest.mark.parametrize("if_match", ["1", 'W/"1"', "nonsense", '""'])
def test_a_weak_or_malformed_etag_is_a_412(api: Api, if_match: str) -> None:
    contact_id, _ = anna(api)
    refused = api.patch(f"/contacts/{contact_id}", {"company": "ACME"}, headers={"If-Match": if_match})
    assert refused.status == 412
    assert api.get(f"/contacts/{contact_id}").body["company"] is None


def test_without_if_match_the_last_change_wins(api: Api) -> None:
    contact_id, _ = anna(api)
    assert api.patch(f"/contacts/{contact_id}", {"company": "ACME"}).status == 200
    assert api.patch(f"/contacts/{contact_id}", {"company": "Globex"}).status == 200
    assert api.get(f"/contacts/{contact_id}").body["company"] == "Globex"


def test_cors_exposes_the_etag_and_allows_if_match(api: Api) -> None:
    response = api.request("GET", "/contacts", headers={"Origin": "https://portal.example.com"})
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    assert "If-Match" in response.headers["Access-Control-Allow-Headers"]
