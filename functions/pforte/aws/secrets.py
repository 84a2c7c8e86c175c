"""The platform's key for link tokens, from Secrets Manager, read once per container."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient


class SecretLinkKeys:
    def __init__(self, client: SecretsManagerClient, secret_id: str) -> None:
        self._client = client
        self._secret_id = secret_id

    def signing_key(self) -> bytes:
        return _read(self._client, self._secret_id)


@cache
def _read(client: SecretsManagerClient, secret_id: str) -> bytes:
    # Cached per container: the key only changes by a deployment, which starts new containers.
    return client.get_secret_value(SecretId=secret_id)["SecretString"].encode("utf-8")
