"""The jobs function: a contact's jobs, their states and the upload of their files.

A function of its own, apart from the contacts function, so that the contact list does not load
the jobs' and job files' models on its cold start (nor this one the contacts' actions).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from pforte.aws import snapstart  # noqa: F401 - registers the SnapStart hook (clients before the snapshot)
from pforte.core.errors import ErrorCode
from pforte.core.observability import instrumented
from pforte.core.pagination import DEFAULT_PAGE_SIZE, decode_cursor
from pforte.http.auth import CurrentActor
from pforte.http.deps.contacts import Contacts
from pforte.http.deps.jobs import JobFileEntries, JobFileStorage, Jobs
from pforte.http.deps.queues import MailQueue
from pforte.http.events import prepare_event
from pforte.http.pages import PageCursor, PageLimit, page_out
from pforte.http.resolver import create_app, created, errors
from pforte.jobs import files as jobfiles
from pforte.jobs import service
from pforte.jobs.files import FileUpload, FileUploadRequest
from pforte.jobs.service import JobCreate, JobOut, JobPage, JobPatch, JobState
from pforte.rights.notifications import Notification, queue_job_mail

app = create_app()


@app.post("/contacts/<contact_id>/jobs", summary="Add a job for a contact", tags=["jobs"], status_code=201)
def create_job(
    actor: CurrentActor, jobs: Jobs, contacts: Contacts, queue: MailQueue, contact_id: str, data: JobCreate
) -> Response[JobOut]:
    job = service.create_job(jobs, contacts, actor, contact_id, data)
    # The jobs area knows nothing of mail: the customer's "job received" mail is queued here.
    queue_job_mail(queue, Notification.JOB_RECEIVED, job.tenant_id, job.id)
    return created(JobOut.of(job), f"/jobs/{job.id}")


@app.get("/contacts/<contact_id>/jobs", summary="A contact's jobs, newest first", tags=["jobs"])
def list_jobs(
    actor: CurrentActor,
    jobs: Jobs,
    contacts: Contacts,
    contact_id: str,
    limit: PageLimit = DEFAULT_PAGE_SIZE,
    cursor: PageCursor = None,
) -> JobPage:
    page = service.list_jobs(jobs, contacts, actor, contact_id, decode_cursor(cursor), limit)
    return page_out(JobPage, page, JobOut.of)


@app.get("/jobs/<job_id>", summary="Read one job", tags=["jobs"])
def get_job(actor: CurrentActor, jobs: Jobs, job_id: str) -> JobOut:
    return JobOut.of(service.get_job(jobs, actor, job_id))


@app.patch(
    "/jobs/<job_id>",
    summary="Move a job to another state",
    tags=["jobs"],
    openapi_extensions=errors(ErrorCode.INVALID_TRANSITION),
)
def change_job(actor: CurrentActor, jobs: Jobs, queue: MailQueue, job_id: str, patch: JobPatch) -> JobOut:
    job, before = service.move_job(jobs, actor, job_id, patch.state)
    if job.state is JobState.COMPLETED and before is not JobState.COMPLETED:
        # The jobs area knows nothing of mail: the customer's "job completed" mail is queued here.
        queue_job_mail(queue, Notification.JOB_COMPLETED, job.tenant_id, job.id)
    return JobOut.of(job)


@app.post(
    "/jobs/<job_id>/files",
    summary="Admit a file of a job and sign its upload",
    description=(
        "Answers a presigned S3 POST: send the form fields and then the file as multipart/form-data "
        "to `upload.url`. S3 refuses a file larger than `size`. Once it arrives, the file is checked "
        "(input: a PDF, model: JSON); `GET /jobs/{job_id}` shows it as stored, or as rejected and why."
    ),
    tags=["jobs"],
    status_code=201,
    openapi_extensions=errors(ErrorCode.FILE_TOO_LARGE),
)
def start_file_upload(
    actor: CurrentActor,
    jobs: Jobs,
    entries: JobFileEntries,
    storage: JobFileStorage,
    job_id: str,
    request: FileUploadRequest,
) -> Response[FileUpload]:
    upload = jobfiles.start_file_upload(jobs, entries, storage, actor, job_id, request)
    return created(upload, f"/jobs/{job_id}")


@instrumented
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(prepare_event(event), context)
