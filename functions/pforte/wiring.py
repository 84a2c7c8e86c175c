"""The composition root: every adapter is made here, once per container, when first asked for.

Routes (through `Depends`) and workers alike take their adapters from here. Each factory imports
its adapter when it is first called, so a function loads only the areas and AWS clients its
requests use; `reset()` forgets them (the local server and tests swap the backend).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from pforte.aws import clients
from pforte.core.settings import get_settings

if TYPE_CHECKING:
    from pforte.activation.service import ActivationRepository, FailedAttempts
    from pforte.activities.service import ActivityRepository
    from pforte.addresses.service import AddressRepository
    from pforte.aws.exports import S3ExportObjects
    from pforte.aws.files import S3JobFiles
    from pforte.banking.service import BankAccountRepository
    from pforte.consents.service import ConfirmationAttempts, ConsentRepository
    from pforte.contacts.deletion import Cleanup, Deletion
    from pforte.contacts.imports import ImportJobRepository, ImportStore, Uploads
    from pforte.contacts.lifecycle import LoginIdentities
    from pforte.contacts.service import ContactFinder, ContactRepository
    from pforte.contacts.store import DynamoContactRepository
    from pforte.contacts.summary import Counts
    from pforte.core.ports import MessageQueue
    from pforte.customfields.service import CustomFieldRepository
    from pforte.exports.service import ExportRepository, ExportWork
    from pforte.jobs.files import FileEntries
    from pforte.jobs.service import JobRepository
    from pforte.links.service import LinkKeys, SubmissionPorts
    from pforte.links.store import DynamoLinkRepository
    from pforte.mail.messages import Mailer
    from pforte.rights.store import DynamoGroupRepository
    from pforte.tenants.service import TenantRepository
    from pforte.terms.current import CurrentTerms
    from pforte.terms.service import TermsRepository


def _table() -> str:
    return get_settings().table_name


# --- DynamoDB repositories ------------------------------------------------------------------


@cache
def tenant_repository() -> TenantRepository:
    from pforte.tenants.store import DynamoTenantRepository

    return DynamoTenantRepository(clients.deferred(clients.dynamodb), _table())


@cache
def custom_field_repository() -> CustomFieldRepository:
    from pforte.customfields.store import DynamoCustomFieldRepository

    return DynamoCustomFieldRepository(clients.deferred(clients.dynamodb), _table())


@cache
def _contact_store() -> DynamoContactRepository:
    from pforte.contacts.store import DynamoContactRepository

    return DynamoContactRepository(clients.deferred(clients.dynamodb), _table())


def contact_repository() -> ContactRepository:
    return _contact_store()


def summary_counts() -> Counts:
    return _contact_store()


def contact_finder() -> ContactFinder:
    return _contact_store()


@cache
def job_repository() -> JobRepository:
    from pforte.jobs.store import DynamoJobRepository

    return DynamoJobRepository(clients.deferred(clients.dynamodb), _table())


@cache
def file_entries() -> FileEntries:
    from pforte.jobs.store import DynamoFileEntries

    return DynamoFileEntries(clients.deferred(clients.dynamodb), _table())


@cache
def activation_repository() -> ActivationRepository:
    from pforte.activation.store import DynamoActivationRepository

    return DynamoActivationRepository(clients.deferred(clients.dynamodb), _table())


@cache
def failed_activations() -> FailedAttempts:
    from pforte.activation.store import DynamoFailedAttempts

    return DynamoFailedAttempts(clients.deferred(clients.dynamodb), _table(), "activation")


@cache
def registrations_per_source() -> FailedAttempts:
    # Every registration counts (each one mails someone), not only failed ones.
    from pforte.activation.store import DynamoFailedAttempts

    return DynamoFailedAttempts(clients.deferred(clients.dynamodb), _table(), "registration")


@cache
def import_store() -> ImportStore:
    from pforte.contacts.import_store import DynamoImportStore

    return DynamoImportStore(clients.deferred(clients.dynamodb), _table())


@cache
def import_jobs() -> ImportJobRepository:
    from pforte.contacts.import_store import DynamoImportJobs

    return DynamoImportJobs(clients.deferred(clients.dynamodb), _table())


@cache
def link_repository() -> DynamoLinkRepository:
    from pforte.links.store import DynamoLinkRepository

    return DynamoLinkRepository(clients.deferred(clients.dynamodb), _table())


@cache
def export_repository() -> ExportRepository:
    from pforte.exports.store import DynamoExportRepository

    return DynamoExportRepository(clients.deferred(clients.dynamodb), _table())


@cache
def current_terms() -> CurrentTerms:
    """The current terms' version alone (what a contact list shows acceptance against)."""
    from pforte.terms.current_store import DynamoCurrentTerms

    return DynamoCurrentTerms(clients.deferred(clients.dynamodb), _table())


@cache
def terms_repository() -> TermsRepository:
    from pforte.terms.store import DynamoTermsRepository

    return DynamoTermsRepository(clients.deferred(clients.dynamodb), _table())


# Consents (opt-ins per channel)
@cache
def consent_repository() -> ConsentRepository:
    from pforte.consents.store import DynamoConsentRepository

    return DynamoConsentRepository(clients.deferred(clients.dynamodb), _table())


@cache
def failed_consent_confirmations() -> ConfirmationAttempts:
    from pforte.activation.store import DynamoFailedAttempts

    return DynamoFailedAttempts(clients.deferred(clients.dynamodb), _table(), "consent_confirmation")


# Addresses and bank accounts (issue 11).
@cache
def address_repository() -> AddressRepository:
    from pforte.addresses.store import DynamoAddressRepository

    return DynamoAddressRepository(clients.deferred(clients.dynamodb), _table())


@cache
def bank_account_repository() -> BankAccountRepository:
    from pforte.banking.store import DynamoBankAccountRepository

    return DynamoBankAccountRepository(clients.deferred(clients.dynamodb), _table())


@cache
def permission_groups() -> DynamoGroupRepository:
    """Permission groups, the contacts' groups and notification preferences (pforte.rights)."""
    from pforte.rights.store import DynamoGroupRepository

    return DynamoGroupRepository(clients.deferred(clients.dynamodb), _table())


@cache
def activity_repository() -> ActivityRepository:
    from pforte.activities.store import DynamoActivityRepository

    return DynamoActivityRepository(clients.deferred(clients.dynamodb), _table())


# --- S3, Cognito, SES, SQS, Secrets Manager ------------------------------------------------


@cache
def job_files() -> S3JobFiles:
    from pforte.aws.files import S3JobFiles

    return S3JobFiles(clients.deferred(clients.s3), get_settings().job_files_bucket)


@cache
def export_objects() -> S3ExportObjects:
    from pforte.aws.exports import S3ExportObjects

    return S3ExportObjects(clients.deferred(clients.s3), get_settings().exports_bucket)


@cache
def import_uploads() -> Uploads:
    from pforte.aws.uploads import S3Uploads

    return S3Uploads(clients.deferred(clients.s3), get_settings().imports_bucket)


@cache
def login_identities() -> LoginIdentities:
    from pforte.aws.identities import CognitoLoginIdentities

    settings = get_settings()
    return CognitoLoginIdentities(
        clients.deferred(clients.cognito),
        settings.customer_user_pool_id,
        settings.customer_user_pool_client_id,
    )


@cache
def mailer() -> Mailer:
    from pforte.aws.mailer import SesMailer

    return SesMailer(clients.deferred(clients.sesv2), get_settings().default_mail_sender)


@cache
def mail_queue() -> MessageQueue:
    from pforte.aws.queues import SqsQueue

    return SqsQueue(clients.deferred(clients.sqs), get_settings().mail_queue_url)


@cache
def exports_queue() -> MessageQueue:
    from pforte.aws.queues import SqsQueue

    return SqsQueue(clients.deferred(clients.sqs), get_settings().exports_queue_url)


@cache
def cleanup_queue() -> MessageQueue:
    from pforte.aws.queues import SqsQueue

    return SqsQueue(clients.deferred(clients.sqs), get_settings().cleanup_queue_url)


@cache
def link_keys() -> LinkKeys:
    from pforte.aws.secrets import SecretLinkKeys

    return SecretLinkKeys(clients.deferred(clients.secrets), get_settings().link_secret_arn)


# --- what services take as a whole ---------------------------------------------------------


@cache
def deletion() -> Deletion:
    from pforte.contacts.deletion import Deletion

    return Deletion(
        contacts=contact_repository(),
        logins=login_identities(),
        files=job_files(),
        exports=export_objects(),
        queue=cleanup_queue(),
        contact_files=job_files(),
    )


@cache
def cleanup() -> Cleanup:
    from pforte.contacts.deletion import Cleanup

    return Cleanup(
        logins=login_identities(), files=job_files(), exports=export_objects(), contact_files=job_files()
    )


@cache
def export_work() -> ExportWork:
    from pforte.exports.service import ExportWork

    return ExportWork(
        exports=export_repository(),
        contacts=contact_repository(),
        jobs=job_repository(),
        files=job_files(),
        objects=export_objects(),
        terms=terms_repository(),
        custom_fields=custom_field_repository(),
    )


def submission_ports() -> SubmissionPorts:
    """Not cached: the idempotency store takes the invocation's context."""
    from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

    from pforte.aws.idempotency import PowertoolsIdempotency
    from pforte.links.service import SubmissionPorts
    from pforte.links.store import DynamoAdmissions

    return SubmissionPorts(
        links=link_repository(),
        keys=link_keys(),
        tenants=tenant_repository(),
        contacts=_contact_store(),
        admissions=DynamoAdmissions(clients.deferred(clients.dynamodb), _table()),
        storage=job_files(),
        # Powertools keeps the invocation's context on the router while it resolves a request.
        idempotency=PowertoolsIdempotency(
            clients.dynamodb(), _table(), getattr(BaseRouter, "lambda_context", None)
        ),
        mail=mail_queue(),
    )


def reset() -> None:
    """Forget every adapter and client (the local server and tests swap the AWS backend)."""
    clients.reset()
    for factory in list(globals().values()):
        if getattr(factory, "__module__", None) == __name__ and hasattr(factory, "cache_clear"):
            factory.cache_clear()
