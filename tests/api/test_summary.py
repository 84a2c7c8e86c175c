"""The counts behind an account's tabs: one counter item, read whatever the counts."""

from __future__ import annotations

from tests.api.conftest import Api


def test_a_new_contacts_summary_counts_nothing(api: Api) -> None:
    created = api.post("/contacts", {"name": "Anna", "email": "anna@example.com"})
    contact_id = created.body["id"]
    for caller in (api, api.as_(role="operator")):
        answered = caller.get(f"/contacts/{contact_id}/summary")
        assert answered.status == 200
        assert answered.body == {
            "contact_id": contact_id,
            "addresses": {"billing": 0, "delivery": 0},
            "bank_accounts": 0,
            "activities": 0,
            "jobs": {"new": 0, "incoming": 0, "processing": 0, "completed": 0},
            "mails": 0,
            "consents_granted": 0,
        }


def test_another_tenants_or_no_contact_is_a_404(api: Api) -> None:
    contact_id = api.post("/contacts", {"name": "Anna", "email": "anna@example.com"}).body["id"]
    assert api.as_("globex").get(f"/contacts/{contact_id}/summary").error_code == "not_found"
    assert api.get("/contacts/01J00000000000000000000000/summary").status == 404
    assert api.get("/contacts/not-an-id/summary").status == 404


def test_the_summary_reads_the_contact_and_its_counters_only(api: Api, dynamodb_calls: list[str]) -> None:
    contact_id = api.post("/contacts", {"name": "Anna", "email": "anna@example.com"}).body["id"]
    dynamodb_calls.clear()
    assert api.get(f"/contacts/{contact_id}/summary").status == 200
    assert dynamodb_calls == ["GetItem", "GetItem"]


def test_jobs_are_counted_by_state_and_sent_mails_counted(api: Api) -> None:
    contact_id = api.post("/contacts", {"name": "Anna", "email": "anna@example.com"}).body["id"]
    flyer = api.post(f"/contacts/{contact_id}/jobs", {"title": "Flyer"}).body
    api.post(f"/contacts/{contact_id}/jobs", {"title": "Poster"})
    assert api.patch(f"/jobs/{flyer['id']}", {"state": "incoming"}).status == 200
    api.patch(f"/jobs/{flyer['id']}", {"state": "incoming"})  # the same state again moves no counter
    assert api.post(f"/contacts/{contact_id}/activation-request").status == 202
    counted = api.get(f"/contacts/{contact_id}/summary").body
    assert counted["jobs"] == {"new": 1, "incoming": 1, "processing": 0, "completed": 0}
    assert counted["mails"] == 1
