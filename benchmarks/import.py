"""CSV import at scale: DynamoDB write calls and peak memory for 1k, 10k and 100k rows.

Each run is a fresh process (peak RSS is per process). 1k and 10k rows run the background import
end to end on moto (file streamed from moto's S3, BatchGetItem/TransactWriteItems on moto's DynamoDB).
moto takes minutes for 100k rows, so 100k (and, for comparison, 1k and 10k) also run against a
call-counting fake DynamoDB client that answers like an empty table.

Targets: write calls <= 1.1 x ceil(items written / 100) + 5 (a transaction holds 100 items: 50 rows
with their address claims; the 0.1 is the progress record after every chunk of 500 rows, one per 10
transactions); peak RSS at 100k rows <= 256 MB,
growing sub-linearly. Run with `make bench`.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WRITE_OPERATIONS = {"BatchWriteItem", "PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems"}
CONSTANT = 5
PER_CALL = 100  # items in one TransactWriteItems
OVERHEAD = 1.1
MAX_RSS_MB = 256

RUN = r"""
import io, json, os, resource, sys, time
sys.path[:0] = [ROOT + "/functions", ROOT]
mode, rows, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.environ.update({"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "eu-central-1",
                   "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_TRACE_DISABLED": "true"})
os.environ.pop("AWS_ENDPOINT_URL", None)
calls = {"write": 0, "read": 0}
WRITES = set(json.loads(sys.argv[4]))

def count(model, **_):
    calls["write" if model.name in WRITES else "read"] += 1

if mode == "moto":
    from moto import mock_aws
    mock = mock_aws(); mock.start()
    import boto3
    from infra.local.provision import provision
    from infra.local.server import configure_functions
    from infra.local.seed import ensure_tenant
    from infra.local import moto_fixes

    moto_fixes.install()  # moto made fast and bounded for transactions (infra/local/moto_fixes.py)
    resources = provision()
    configure_functions(resources, "https://portal.example.com")
    ensure_tenant("bench")
    from pforte.wiring import custom_field_repository, import_jobs, import_store, import_uploads, tenant_repository
    from pforte.aws import clients
    from pforte.contacts import imports
    from pforte.core.identity import Actor, Role
    started = imports.start_upload(import_jobs(), import_uploads(), Actor("bench", "u", Role.ADMIN))
    key = started.upload.fields["key"]
    boto3.client("s3", region_name="eu-central-1").upload_file(path, resources.physical["ImportsBucket"], key)
    clients.dynamodb().meta.events.register("before-call.dynamodb", count)
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    job = imports.run_uploaded_import(import_jobs(), import_store(), import_uploads(), tenant_repository(), custom_field_repository(), key, os.path.getsize(path))
    elapsed = time.perf_counter() - start
    report = import_jobs().get("bench", job.id).report
else:
    from pforte.contacts import imports
    from pforte.core.fields import Language
    from pforte.contacts.import_store import DynamoImportStore

    class FakeDynamo:
        # Answers like an empty table; counts every call.
        def batch_get_item(self, RequestItems):
            calls["read"] += 1
            return {"Responses": {}, "UnprocessedKeys": {}}
        def transact_write_items(self, TransactItems, ClientRequestToken=None):
            calls["write"] += 1
            return {}

    store = DynamoImportStore(FakeDynamo(), "table")
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    report = imports.import_contacts(store, "bench", imports.read_rows(lambda: open(path, "rb")), Language.DE)
    elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"imported": report.imported, "errors": report.failed_rows, "write_calls": calls["write"],
                  "read_calls": calls["read"], "seconds": elapsed, "peak_kb": peak, "baseline_kb": baseline}))
"""


def make_csv(rows: int, directory: str) -> str:
    path = os.path.join(directory, f"contacts-{rows}.csv")
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("Name;E-Mail;Firma;Sprache\r\n")
        for i in range(rows):
            out.write(f"Kundin {i};kundin.{i}@example.com;Druckhaus {i % 97};{'de' if i % 3 else 'en'}\r\n")
    return path


def run(mode: str, rows: int, path: str) -> dict[str, float]:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            f"ROOT = {str(ROOT)!r}\n" + RUN,
            mode,
            str(rows),
            path,
            json.dumps(sorted(WRITE_OPERATIONS)),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    sizes = [int(arg) for arg in sys.argv[1:]] or [1_000, 10_000, 100_000]
    plan = [("moto", rows) for rows in sizes if rows <= 10_000] + [("fake", rows) for rows in sizes]
    print(
        f"CSV import (targets: write calls <= {OVERHEAD} x ceil(items/{PER_CALL}) + {CONSTANT}; peak RSS at 100k <= {MAX_RSS_MB} MB)"
    )
    print(
        f"{'backend':<7} {'rows':>7} {'items':>7} {'writes':>7} {'bound':>7} {'ratio':>6} {'reads':>6} "
        f"{'peak MB':>8} {'+import MB':>10} {'seconds':>8}"
    )
    with tempfile.TemporaryDirectory() as scratch:
        for mode, rows in plan:
            result = run(mode, rows, make_csv(rows, scratch))
            items = 2 * int(result["imported"])  # a contact and its address claim
            minimum = math.ceil(items / PER_CALL)
            bound = OVERHEAD * minimum + CONSTANT
            peak_mb = result["peak_kb"] / 1024
            grown_mb = (result["peak_kb"] - result["baseline_kb"]) / 1024
            ok = result["write_calls"] <= bound and (rows < 100_000 or peak_mb <= MAX_RSS_MB)
            print(
                f"{mode:<7} {rows:>7} {items:>7} {int(result['write_calls']):>7} {bound:>7.0f} "
                f"{result['write_calls'] / minimum:>6.3f} {int(result['read_calls']):>6} {peak_mb:>8.1f} "
                f"{grown_mb:>10.1f} {result['seconds']:>8.1f} {'ok' if ok else 'OVER'}"
            )


if __name__ == "__main__":
    main()
