"""boto3 clients, made once per container and only when first used.

Low-level clients only: a boto3 resource loads a second, larger model and slows every cold start.
The endpoint comes from boto3's own configuration (`AWS_ENDPOINT_URL` points it at moto locally).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar, cast

import boto3
from botocore.config import Config

from pforte.core.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sesv2 import SESV2Client
    from mypy_boto3_sqs import SQSClient

Client = TypeVar("Client")

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=3, read_timeout=10)


@cache
def dynamodb() -> DynamoDBClient:
    return boto3.client("dynamodb", region_name=get_settings().region, config=_CONFIG)


@cache
def cognito() -> CognitoIdentityProviderClient:
    return boto3.client("cognito-idp", region_name=get_settings().region, config=_CONFIG)


@cache
def sesv2() -> SESV2Client:
    return boto3.client("sesv2", region_name=get_settings().region, config=_CONFIG)


@cache
def s3() -> S3Client:
    # Signature v4: presigned POSTs must work in every region. Completing a multipart upload of
    # gigabytes takes S3 (and moto) longer than other calls: a short read timeout would retry a
    # completion that succeeded and fail on the upload it finished.
    config = _CONFIG.merge(Config(signature_version="s3v4", read_timeout=300))
    return boto3.client("s3", region_name=get_settings().region, config=config)


@cache
def sqs() -> SQSClient:
    return boto3.client("sqs", region_name=get_settings().region, config=_CONFIG)


@cache
def secrets() -> SecretsManagerClient:
    return boto3.client("secretsmanager", region_name=get_settings().region, config=_CONFIG)


class _Deferred:
    """Stands in for a client until something of it is used: an adapter built for a request that
    never calls it (a Cognito client on an activation whose link is invalid) costs nothing.
    Each use asks the factory, so a `reset()` reaches adapters that were built before it."""

    __slots__ = ("_make",)

    def __init__(self, make: Callable[[], object]) -> None:
        self._make = make

    def __getattr__(self, name: str) -> Any:
        return getattr(self._make(), name)


def deferred(make: Callable[[], Client]) -> Client:
    """The client `make` returns, made on its first use rather than now."""
    return cast("Client", _Deferred(make))


def reset() -> None:
    """Forget every client (tests that swap the AWS backend call this)."""
    for factory in (dynamodb, cognito, sesv2, s3, sqs, secrets):
        factory.cache_clear()
