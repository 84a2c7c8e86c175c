"""Customer backup export (streaming ZIP into S3) against a plain streaming copy of the same bytes.

moto runs as a server in its own process (its memory is not counted). For job files of 10 MiB,
300 MiB and 1 GiB in total (files of at most 100 MiB, spread over three jobs), fresh processes
(peak RSS is per process) each (a) run the exports worker path, `run_export`, for a requested
backup of the customer, and (b) copy the same objects with no ZIP: GetObject in 1 MiB chunks into
the same multipart writer (16 MiB parts) to the exports bucket. Each measurement runs `--runs`
times (default 2; 7 for sizes of at most 10 MiB, which take a fraction of a second, so that the
fixed latencies of a few calls, varying by +-30% here, do not decide the ratio by one lucky run):
the fastest time and the highest peak RSS count; the median ratio is shown beside it. The measuring processes give
the clients a longer read timeout only: moto assembles a 1 GiB multipart upload more slowly than
the clients wait (S3 keeps the connection alive meanwhile).

Targets: backup peak RSS flat (largest <= 1.2 x smallest) and <= 150 MiB; backup throughput
>= 0.8 x the plain copy's at every size. Exits 1 on a miss. Run with `make bench`, or
`benchmarks/backup.py --sizes 10` for a quick run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.error import URLError
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]

from infra.local.server import configure_aws, free_port  # noqa: E402

MIB = 1024 * 1024
MAX_FILE_BYTES = 100 * MIB
JOBS = 3
UPLOAD_PART_BYTES = 16 * MIB
TENANT = "bench-backup"
MAX_RSS_MIB = 150
FLAT = 1.2
MIN_RATIO = 0.8
QUICK_MIB = 10  # sizes up to this many MiB are measured at least QUICK_RUNS times
QUICK_RUNS = 7

RUN = r"""
import json, resource, sys, time
sys.path[:0] = [ROOT + "/functions", ROOT]
mode, tenant_id, task = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
from pforte.exports import archive, service as exports  # as the worker imports them at init
from pforte.wiring import export_work
work = export_work()  # the clients are made here, before the measurement
with open("/proc/self/status") as status:
    baseline = int(next(line for line in status if line.startswith("VmRSS:")).split()[1])
# Forget the peak that importing left (boto3's service models are parsed and freed again):
# what is measured is the peak while the export runs, from the same starting point for every size.
with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")
start = time.perf_counter()
if mode == "backup":
    export = exports.run_export(work, tenant_id, task["export_id"], final_attempt=False)
    elapsed = time.perf_counter() - start
    assert export is not None and export.status is exports.ExportStatus.SUCCEEDED, export
    written, key = export.progress.done_bytes, export.object_key
else:
    key = task["key"]
    writer = work.objects.open_writer(key, "application/octet-stream", "copy.bin", on_part=lambda done: None)
    try:
        for source, version_id in task["files"]:
            for chunk in work.files.chunks(source, version_id):
                writer.write(chunk)
        written = writer.complete()
    except BaseException:
        writer.abort()
        raise
    elapsed = time.perf_counter() - start
with open("/proc/self/status") as status:
    peak = int(next(line for line in status if line.startswith("VmHWM:")).split()[1])
print(json.dumps({"seconds": elapsed, "bytes": written, "key": key, "peak_kb": peak, "baseline_kb": baseline}))
"""


class Moto:
    """`python -m moto.server` in a process of its own; its output goes to a log file."""

    def __init__(self, log_path: str) -> None:
        self.url = f"http://127.0.0.1:{free_port()}"
        self._log = open(log_path, "wb")  # noqa: SIM115 (closed in stop)
        self._log_path = log_path
        port = self.url.rsplit(":", 1)[1]
        self._process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", port],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"moto server exited ({self._process.returncode}):\n{self.log_tail()}")
            try:
                with urlopen(f"{self.url}/moto-api/reset-auth", timeout=2):
                    return
            except URLError as error:
                if getattr(error, "code", None):  # an HTTP answer: the server is up
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"moto server did not start within {seconds:.0f} s")

    def log_tail(self, characters: int = 3000) -> str:
        self._log.flush()
        return Path(self._log_path).read_text(errors="replace")[-characters:]

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._log.close()


class NoQueue:
    """The exports queue: the benchmark runs the worker itself."""

    def enqueue(self, messages: Any) -> None:
        pass


def file_sizes(total: int) -> list[int]:
    """`total` bytes as files of at most MAX_FILE_BYTES, at least four of them."""
    each = min(MAX_FILE_BYTES, math.ceil(total / 4))
    sizes = [each] * (total // each)
    if total % each:
        sizes.append(total % each)
    return sizes


def upload_random(client: Any, bucket: str, key: str, size: int) -> str:
    """An object of `size` random bytes, made part by part (never whole in memory); its version."""
    upload = client.create_multipart_upload(Bucket=bucket, Key=key)
    parts = []
    for number, start in enumerate(range(0, size, UPLOAD_PART_BYTES), start=1):
        body = os.urandom(min(UPLOAD_PART_BYTES, size - start))
        response = client.upload_part(
            Bucket=bucket, Key=key, UploadId=upload["UploadId"], PartNumber=number, Body=body
        )
        parts.append({"PartNumber": number, "ETag": response["ETag"]})
    done = client.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload["UploadId"], MultipartUpload={"Parts": parts}
    )
    return str(done.get("VersionId") or "null")


def seed(total: int) -> tuple[str, list[tuple[str, str]]]:
    """A customer with JOBS jobs whose stored files add up to `total` bytes: the contact's id and
    the files' (key, version id)."""
    from pforte.aws import clients
    from pforte.contacts.service import ContactCreate, new_contact
    from pforte.core.clock import new_id, utcnow
    from pforte.core.fields import Language
    from pforte.core.settings import get_settings
    from pforte.jobs.files import file_key
    from pforte.jobs.service import FileKind, FileStatus, Job, JobFile
    from pforte.wiring import contact_repository, job_repository

    bucket = get_settings().job_files_bucket
    contact = new_contact(
        TENANT,
        ContactCreate(name=f"Backup {total // MIB} MiB", email=f"backup-{new_id()}@example.com"),
        Language.DE,
    )
    contact_repository().add(contact)
    now = utcnow()
    jobs = [
        Job(
            id=new_id(),
            tenant_id=TENANT,
            contact_id=contact.id,
            title=f"Job {number}",
            created_at=now,
            updated_at=now,
        )
        for number in range(1, JOBS + 1)
    ]
    objects = []
    for index, size in enumerate(file_sizes(total)):
        job = jobs[index % JOBS]
        first = index < JOBS
        filename = "input.pdf" if first else f"part-{index:02d}.bin"
        name = filename if first else f"support/{filename}"
        key = file_key(TENANT, job.id, name)
        version_id = upload_random(clients.s3(), bucket, key, size)
        job.files[name] = JobFile(
            name=name,
            kind=FileKind.INPUT if first else FileKind.SUPPORT,
            filename=filename,
            size=size,
            status=FileStatus.STORED,
            upload_id=new_id(),
            requested_at=now,
            stored_at=now,
            version_id=version_id,
        )
        objects.append((key, version_id))
    for job in jobs:
        job_repository().add(job)
    return contact.id, objects


def request_backup(contact_id: str) -> str:
    from pforte.core.identity import Actor, Role
    from pforte.exports import service as exports
    from pforte.wiring import contact_repository, export_repository

    actor = Actor(tenant_id=TENANT, user_id="bench", role=Role.ADMIN)
    export = exports.request_backup(export_repository(), contact_repository(), NoQueue(), actor, contact_id)
    return export.id


def measure(mode: str, task: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            f"ROOT = {str(ROOT)!r}\n" + RUN,
            mode,
            TENANT,
            json.dumps(task),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if done.returncode:
        raise RuntimeError(f"{mode} run failed ({done.returncode}):\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    # The object is complete and as large as reported; then it goes, to keep moto's store small.
    from pforte.aws import clients
    from pforte.core.settings import get_settings

    bucket = get_settings().exports_bucket
    stored = clients.s3().head_object(Bucket=bucket, Key=result["key"])["ContentLength"]
    if stored != result["bytes"]:
        raise RuntimeError(f"{mode}: {result['bytes']} bytes reported, {stored} stored")
    if mode == "backup":  # a ZIP ends with its end of central directory record
        tail = clients.s3().get_object(Bucket=bucket, Key=result["key"], Range="bytes=-22")["Body"].read()
        if not tail.startswith(b"PK\x05\x06"):
            raise RuntimeError(f"backup: {result['key']} does not end like a ZIP")
    clients.s3().delete_object(Bucket=bucket, Key=result["key"])
    return result


def bench_size(mebibytes: int, runs: int) -> dict[str, Any]:
    if mebibytes <= QUICK_MIB:
        runs = max(runs, QUICK_RUNS)
    from pforte.aws import clients
    from pforte.aws.files import delete_prefix
    from pforte.core.clock import new_id
    from pforte.core.settings import get_settings
    from pforte.jobs.service import files_prefix

    total = mebibytes * MIB
    started = time.perf_counter()
    contact_id, objects = seed(total)
    print(
        f"  {mebibytes} MiB: seeded {len(objects)} files in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
        flush=True,
    )
    backups, copies = [], []
    try:
        for run in range(runs):
            backups.append(measure("backup", {"export_id": request_backup(contact_id)}))
            copies.append(measure("copy", {"key": f"bench/copies/{new_id()}.bin", "files": objects}))
            print(
                f"  {mebibytes} MiB run {run + 1}: backup {backups[-1]['seconds']:.2f} s, "
                f"copy {copies[-1]['seconds']:.2f} s",
                file=sys.stderr,
                flush=True,
            )
    finally:
        for job_id in {key.split("/")[3] for key, _ in objects}:  # tenants/<tenant>/jobs/<job>/...
            delete_prefix(clients.s3(), get_settings().job_files_bucket, files_prefix(TENANT, job_id))
    ratios = [copy["seconds"] / backup["seconds"] for backup, copy in zip(backups, copies, strict=True)]
    best_backup = min(backups, key=lambda result: result["seconds"])
    best_copy = min(copies, key=lambda result: result["seconds"])
    return {
        "mebibytes": mebibytes,
        "runs": runs,
        "median_ratio": statistics.median(ratios),
        "files": len(objects),
        "zip_bytes": best_backup["bytes"],
        "copy_bytes": best_copy["bytes"],
        "backup_s": best_backup["seconds"],
        "copy_s": best_copy["seconds"],
        "backup_mibs": best_backup["bytes"] / MIB / best_backup["seconds"],
        "copy_mibs": best_copy["bytes"] / MIB / best_copy["seconds"],
        "backup_rss": max(result["peak_kb"] for result in backups) / 1024,
        "copy_rss": max(result["peak_kb"] for result in copies) / 1024,
        "start_rss": min(result["baseline_kb"] for result in backups + copies) / 1024,
    }


def report(rows: list[dict[str, Any]]) -> bool:
    print(
        "Backup export vs. plain streaming copy on moto server, best time of each size's runs (fresh "
        "processes), highest peak RSS (1 MiB = 2^20 bytes)"
    )
    print()
    print(
        "| job files | files | runs | ZIP size | backup s | backup MiB/s | copy s | copy MiB/s | backup/copy "
        "| median of runs | backup peak RSS MiB | copy peak RSS MiB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['mebibytes']} MiB | {row['files']} | {row['runs']} | {row['zip_bytes'] / MIB:.2f} MiB "
            f"| {row['backup_s']:.2f} | {row['backup_mibs']:.0f} | {row['copy_s']:.2f} | {row['copy_mibs']:.0f} "
            f"| {row['backup_mibs'] / row['copy_mibs']:.2f} | {row['median_ratio']:.2f} "
            f"| {row['backup_rss']:.1f} | {row['copy_rss']:.1f} |"
        )
    print()
    print(
        f"(RSS of a process after its imports and clients, before any bytes: {rows[0]['start_rss']:.1f} MiB)"
    )
    checks = []
    peaks = [row["backup_rss"] for row in rows]
    checks.append(
        (f"backup peak RSS <= {MAX_RSS_MIB} MiB (highest {max(peaks):.1f})", max(peaks) <= MAX_RSS_MIB)
    )
    if len(rows) > 1:
        spread = max(peaks) / min(peaks)
        checks.append((f"backup peak RSS flat: largest/smallest <= {FLAT} ({spread:.2f})", spread <= FLAT))
    for row in rows:
        ratio = row["backup_mibs"] / row["copy_mibs"]
        checks.append(
            (
                f"{row['mebibytes']} MiB: backup throughput >= {MIN_RATIO} x copy ({ratio:.2f})",
                ratio >= MIN_RATIO,
            )
        )
    print()
    for text, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'} {text}")
    return all(ok for _, ok in checks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,300,1024", help="job files in total, MiB, comma separated")
    parser.add_argument("--runs", type=int, default=2, help="runs per measurement (best time counts)")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        moto = Moto(os.path.join(scratch, "moto.log"))
        try:
            moto.wait_ready()
            configure_aws(moto.url)
            from infra.local.provision import provision
            from infra.local.seed import ensure_tenant
            from infra.local.server import configure_functions

            configure_functions(provision(), "https://portal.example.com")
            ensure_tenant(TENANT)
            rows = [bench_size(size, args.runs) for size in sizes]
        except BaseException:
            print(f"moto log (tail):\n{moto.log_tail()}", file=sys.stderr)
            raise
        finally:
            moto.stop()
    ok = report(rows)
    print(f"\n{time.perf_counter() - started:.0f} s in all")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
