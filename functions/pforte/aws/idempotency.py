"""Run an action once per idempotency key (Powertools idempotency on the one table).

Records live in the tenant's own partition (`TENANT#<t>#IDEMPOTENCY`) and expire by the table's
TTL attribute. The same key with a different payload is a conflict, as is a key whose first
request is still running."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer
from pydantic import BaseModel

from pforte.core.errors import DomainError, ErrorCode
from pforte.storage import keys

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Result = TypeVar("Result", bound=BaseModel)


class PowertoolsIdempotency:
    def __init__(self, client: DynamoDBClient, table_name: str, lambda_context: Any = None) -> None:
        self._client = client
        self._table = table_name
        # The invocation's context: a record left "in progress" by a timed-out invocation is
        # released when that invocation's time is up, not only when the record expires.
        self._lambda_context = lambda_context

    def run_once(
        self,
        tenant_id: str,
        scope: str,
        key: str,
        payload: dict[str, Any],
        result_type: type[Result],
        action: Callable[[], Result],
        seconds: int,
    ) -> Result:
        store = DynamoDBPersistenceLayer(
            table_name=self._table,
            key_attr=keys.PK,
            sort_key_attr=keys.SK,
            static_pk_value=keys.idempotency_pk(tenant_id),
            expiry_attr=keys.TTL,
            boto3_client=self._client,
        )
        config = IdempotencyConfig(
            event_key_jmespath="[scope, key]",
            payload_validation_jmespath="payload",
            expires_after_seconds=seconds,
            hash_function="sha256",
        )
        if self._lambda_context is not None:
            config.register_lambda_context(self._lambda_context)

        @idempotent_function(
            data_keyword_argument="request",
            persistence_store=store,
            config=config,
            output_serializer=PydanticSerializer(model=result_type),
        )
        def once(request: dict[str, Any]) -> Result:
            return action()

        try:
            result: Result = once(request={"scope": scope, "key": key, "payload": payload})
        except IdempotencyValidationError:
            raise DomainError(
                ErrorCode.IDEMPOTENCY_CONFLICT,
                "This Idempotency-Key was used for a different request; use a new key for a new request.",
            ) from None
        except IdempotencyAlreadyInProgressError:
            raise DomainError(
                ErrorCode.IDEMPOTENCY_CONFLICT,
                "A request with this Idempotency-Key is still being handled; retry in a moment.",
            ) from None
        return result
