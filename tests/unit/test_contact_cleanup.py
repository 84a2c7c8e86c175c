"""The clean-up messages of a deleted contact stay within SQS's size limits."""

from __future__ import annotations

from pforte.contacts.deletion import JOB_IDS_PER_MESSAGE, cleanup_messages


def test_a_contact_without_jobs_is_one_message() -> None:
    [message] = cleanup_messages("acme", "C1", [])
    assert (message.tenant_id, message.contact_id, message.job_ids) == ("acme", "C1", [])


def test_many_jobs_are_split_into_messages_of_bounded_size() -> None:
    job_ids = [f"{i:026d}" for i in range(2 * JOB_IDS_PER_MESSAGE + 1)]
    messages = cleanup_messages("acme", "C1", job_ids)
    assert [len(m.job_ids) for m in messages] == [JOB_IDS_PER_MESSAGE, JOB_IDS_PER_MESSAGE, 1]
    assert [j for m in messages for j in m.job_ids] == job_ids
    assert sum(len(m.model_dump_json()) for m in messages[:10]) < 256 * 1024
