"""SnapStart: the API function's boto3 clients are made before Lambda takes the snapshot.

On a runtime with SnapStart (Python 3.12 and later, `PythonRuntime` in template.yaml) Lambda runs a
published version's initialization once, then the before-snapshot hooks, and resumes every cold
start from that memory snapshot: the imports are paid for once, at publication. The clients are
made lazily (`pforte.aws.clients`), so without this hook each restored environment would still
load the service models on its first request.

Each API handler imports this module (Lambda runs only hooks registered by modules the handler
imports); the hook makes the clients of the handler modules loaded in this process. Nothing here
is unique to one environment: a client holds its configuration, its service model and a credential
provider that refreshes itself (with SnapStart on, Lambda hands the function its role credentials
through the container credentials endpoint rather than environment variables, so botocore fetches
fresh ones once these expire). No request is sent, so no connection is held across the snapshot.
After a restore, `random` is reseeded: botocore's retry jitter must not be the same sequence in
every environment resumed from one snapshot.

On Python 3.11 registering costs nothing: `snapshot_restore_py` is not even imported.
"""

from __future__ import annotations

import random
import sys

# Python 3.12 is the first runtime Lambda snapshots.
SNAPSTART_PYTHON = (3, 12)

# The boto3 clients each API handler's routes use (factory names in `pforte.aws.clients`).
# tests/test_template.py checks them against each function's IAM policy in template.yaml.
CLIENTS: dict[str, tuple[str, ...]] = {
    "accounts.handler": ("dynamodb", "sqs", "s3"),
    "contacts.handler": ("dynamodb", "cognito", "sesv2", "sqs", "s3"),
    "jobs.handler": ("dynamodb", "sqs", "s3"),
    "imports.handler": ("dynamodb", "s3"),
    "exports.handler": ("dynamodb", "sqs", "s3"),
    "public.handler": ("dynamodb", "cognito", "sesv2"),
    "links.handler": ("dynamodb", "secrets", "sesv2", "s3", "sqs"),
    "tenants.handler": ("dynamodb", "s3"),
    "customers.handler": ("dynamodb", "s3", "sqs"),
}


def warm_clients() -> tuple[str, ...]:
    """Make (and keep, in the factories' caches) the clients of the handlers loaded here."""
    from pforte.aws import clients

    names = sorted({name for module, used in CLIENTS.items() if module in sys.modules for name in used})
    for name in names:
        getattr(clients, name)()
    return tuple(names)


def reseed() -> None:
    """A restored environment's own random sequence (from os.urandom)."""
    random.seed()


def register(version: tuple[int, int] = (sys.version_info.major, sys.version_info.minor)) -> bool:
    """Register the hooks on runtimes that take snapshots; True if registered."""
    if version < SNAPSTART_PYTHON:
        return False
    from snapshot_restore_py import register_after_restore, register_before_snapshot

    register_before_snapshot(warm_clients)
    register_after_restore(reseed)
    return True


REGISTERED = register()
