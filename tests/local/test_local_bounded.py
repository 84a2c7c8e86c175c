"""A long `make run` stays bounded: memory plateaus and pages stay fast while the tables grow.

moto kept every item it ever made, and copied the whole table into that memory on each item of a
transaction (infra/local/moto_fixes.py): a 20,000-row import and 40 mails grew the server to
gigabytes, at 100% CPU. Scaled down here: without the fixes the measured round below grows the
server by hundreds of MB and takes minutes.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from infra.local.mailbox import bound_mailbox, sent_mail
from infra.local.provision import MAIL_DOMAIN, REGION
from tests.local.server import Http, LocalServer, local_server

ROOT = Path(__file__).resolve().parents[2]
IMPORTED_ROWS = 1000  # the most an inline import takes: 2,000 items (contacts and address claims)
GROWTH_LIMIT_MIB = 40
# A page of the list reads one Query; a filtered one up to five of 250 items, which moto walks and
# serializes slowly (infra/local/moto_fixes.py). Generous bounds for a busy CI machine.
PAGE_SECONDS = {"/contacts?limit=50": 1.5, "/contacts?status=not_registered&q=person%201&limit=50": 5.0}


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    with local_server() as running:
        yield running


def rss_mib(server: LocalServer) -> float:
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    kib = next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(kib) / 1024


def _round(http: Http, admin: str, number: int, writes: int) -> dict[str, list[float]]:
    """Writes through transactions (a refused one too), queued mails, list walks: page times."""
    ids = []
    for i in range(writes):
        body = {"name": f"Round {number} {i}", "email": f"r{number}-{i}@bounded.example"}
        status, contact, _ = http.call("POST", "/contacts", body, admin)
        assert status == 201, contact
        ids.append(contact["id"])
    taken = {"name": "Again", "email": f"r{number}-0@BOUNDED.example"}
    assert http.call("POST", "/contacts", taken, admin)[0] == 409  # a transaction rolled back
    assert http.call("POST", "/contacts/activation-requests", {"ids": ids[:10]}, admin)[0] == 202
    deadline = time.monotonic() + 60
    while not http.call("GET", f"/_local/mail?to=r{number}-9@bounded.example")[1]["items"]:
        assert time.monotonic() < deadline, "the queued mails did not arrive"
        time.sleep(0.2)
    times: dict[str, list[float]] = {}
    for path in PAGE_SECONDS:
        cursor = ""
        for _ in range(8):
            started = time.monotonic()
            status, page, _ = http.call("GET", path + cursor, token=admin)
            times.setdefault(path, []).append(time.monotonic() - started)
            assert status == 200, page
            if not page["next_cursor"]:
                break
            cursor = f"&cursor={page['next_cursor']}"
    return times


def test_memory_plateaus_and_pages_stay_fast_as_the_table_grows(server: LocalServer) -> None:
    http = server.http
    admin = http.token("bounded")
    rows = "".join(f"Person {i},p{i}@bounded.example,Firma {i % 20}\n" for i in range(IMPORTED_ROWS))
    status, report, _ = http.call(
        "POST",
        "/contacts/imports",
        raw=f"name,email,company\n{rows}".encode(),
        token=admin,
        content_type="text/csv",
        timeout=120,
    )
    assert (status, report["imported"]) == (200, IMPORTED_ROWS), report
    _round(http, admin, 0, writes=10)  # warm: every handler imported, the allocator's arenas made
    before = rss_mib(server)
    times = _round(http, admin, 1, writes=40)
    grown = rss_mib(server) - before
    assert grown < GROWTH_LIMIT_MIB, f"the server grew by {grown:.0f} MiB in one round"
    for path, seconds in times.items():
        assert max(seconds) < PAGE_SECONDS[path], f"{path}: {[round(t, 2) for t in seconds]} s"
    # the refused writes left nothing behind
    status, page, _ = http.call("GET", "/contacts?q=again&limit=10", token=admin)
    assert (status, page["items"]) == (200, [])


# The patched moto and moto as it comes answer every transaction alike; only the patched one
# keeps nothing of what it made. Each in a process of its own: the patches change moto for good.
_TRANSACTIONS = textwrap.dedent(
    """
    import json, sys
    import boto3
    from botocore.exceptions import ClientError
    from infra.local import moto_fixes
    if sys.argv[1] == "fixed":
        moto_fixes.install()
    from moto import mock_aws
    from moto.dynamodb.models.dynamo_type import Item

    def key(pk):
        return {"PK": {"S": pk}, "SK": {"S": "1"}}

    with mock_aws():
        db = boto3.client("dynamodb", region_name="eu-central-1")
        db.create_table(
            TableName="t",
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("PK", "SK")],
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
            BillingMode="PAY_PER_REQUEST",
        )
        for pk in ("a", "b", "c"):
            db.put_item(TableName="t", Item={**key(pk), "v": {"N": "1"}})
        bump = {"UpdateExpression": "SET v = v + :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}
        cases = [
            # every kind of write, then a failed condition: all undone
            [{"Update": {"TableName": "t", "Key": key("a"), **bump}},
             {"Put": {"TableName": "t", "Item": {**key("new"), "v": {"N": "7"}}}},
             {"Delete": {"TableName": "t", "Key": key("b")}},
             {"Update": {"TableName": "t", "Key": key("made"), **bump, "UpdateExpression": "SET v = :one"}},
             {"ConditionCheck": {"TableName": "t", "Key": key("zz"), "ConditionExpression": "attribute_exists(PK)"}}],
            # one item twice: refused, the first write undone
            [{"Put": {"TableName": "t", "Item": {**key("a"), "v": {"N": "9"}}}},
             {"Put": {"TableName": "t", "Item": {**key("a"), "v": {"N": "8"}}}}],
            # these succeed
            [{"Update": {"TableName": "t", "Key": key("a"), **bump}},
             {"Delete": {"TableName": "t", "Key": key("c")}},
             {"Put": {"TableName": "t", "Item": {**key("d"), "v": {"N": "4"}}}}],
        ]
        seen = []
        for items in cases:
            try:
                db.transact_write_items(TransactItems=items)
                outcome = "ok"
            except ClientError as error:
                outcome = [error.response["Error"]["Code"], error.response.get("CancellationReasons")]
            rows = db.scan(TableName="t")["Items"]
            seen.append([outcome, sorted((r["PK"]["S"], r.get("v", {}).get("N")) for r in rows)])
            pages = db.query(TableName="t", KeyConditionExpression="PK = :p",
                             ExpressionAttributeValues={":p": {"S": "a"}})["Items"]
            seen.append([len(pages)])
        print(json.dumps({"seen": seen, "tracked_items": len(Item.instances_tracked)}))
    """
)


def _transactions(mode: str) -> dict[str, object]:
    import json

    done = subprocess.run(
        [sys.executable, "-c", _TRANSACTIONS, mode],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_the_patched_moto_answers_transactions_as_moto_does_and_keeps_nothing() -> None:
    plain, fixed = _transactions("plain"), _transactions("fixed")
    assert fixed["seen"] == plain["seen"]
    assert fixed["tracked_items"] == 0
    assert plain["tracked_items"] != 0  # what the fix is for: moto as it comes keeps them all


def test_the_mailbox_keeps_the_newest_mails_only() -> None:
    with mock_aws():
        ses = boto3.client("sesv2", region_name=REGION)
        ses.create_email_identity(EmailIdentity=MAIL_DOMAIN)
        bound_mailbox(limit=3)
        for number in range(5):
            ses.send_email(
                FromEmailAddress=f"shop@{MAIL_DOMAIN}",
                Destination={"ToAddresses": [f"kim@{MAIL_DOMAIN}"]},
                Content={"Simple": {"Subject": {"Data": f"Mail {number}"}, "Body": {"Text": {"Data": "."}}}},
            )
        assert [mail["subject"] for mail in sent_mail(None)] == ["Mail 2", "Mail 3", "Mail 4"]
