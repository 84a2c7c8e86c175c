"""Sending work to an SQS queue, ten messages per call."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

SQS_BATCH = 10


class SqsQueue:
    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._url = queue_url

    def enqueue(self, messages: Sequence[BaseModel]) -> None:
        for start in range(0, len(messages), SQS_BATCH):
            batch = messages[start : start + SQS_BATCH]
            response = self._client.send_message_batch(
                QueueUrl=self._url,
                Entries=[
                    {"Id": str(index), "MessageBody": m.model_dump_json()} for index, m in enumerate(batch)
                ],
            )
            failed = response.get("Failed", [])
            if failed:
                raise RuntimeError(f"SQS refused {len(failed)} messages: {failed[0].get('Message')}")
