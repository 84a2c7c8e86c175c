"""The local stand-in for Lambda's SQS event source: poll each queue that a function in
template.yaml consumes, hand the messages to its handler as an SQS event, delete what succeeded.

The API tests call `drain()`; `make run` polls in a background thread. One code path for both.
"""

from __future__ import annotations

import importlib
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3

from infra.local.events import lambda_context
from infra.local.provision import REGION, LocalResources
from infra.template import resources

# Locally a failed message comes back after seconds, not after the deployed visibility timeout.
LOCAL_RETRY_SECONDS = 2
IDLE_SECONDS = 0.3


@dataclass(frozen=True)
class Consumer:
    function: str
    handler: str
    queue_url: str
    queue_arn: str
    batch_size: int


def consumers(found: LocalResources) -> list[Consumer]:
    found_consumers = []
    for name, props in resources("AWS::Serverless::Function").items():
        for event in props.get("Events", {}).values():
            if event["Type"] != "SQS":
                continue
            queue = event["Properties"]["Queue"]["Fn::GetAtt"][0]
            found_consumers.append(
                Consumer(
                    name,
                    props["Handler"],
                    found.physical[queue],
                    found.arns[queue],
                    int(event["Properties"].get("BatchSize", 10)),
                )
            )
    return found_consumers


def _sqs_event(consumer: Consumer, messages: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": consumer.queue_arn,
                "awsRegion": REGION,
            }
            for message in messages
        ]
    }


class QueueRunner:
    def __init__(self, found: LocalResources, locks: dict[str, threading.Lock] | None = None) -> None:
        self._consumers = consumers(found)
        self._client = boto3.client("sqs", region_name=REGION)
        self._locks = locks or {}
        self._stop = threading.Event()

    def _handler(self, consumer: Consumer) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
        module_name, _, attribute = consumer.handler.rpartition(".")
        handler: Callable[[dict[str, Any], Any], dict[str, Any]] = getattr(
            importlib.import_module(module_name), attribute
        )
        return handler

    def poll_once(self, wait_seconds: int = 0) -> int:
        """One receive per queue; returns how many messages were handed to handlers."""
        handled = 0
        for consumer in self._consumers:
            messages = self._client.receive_message(
                QueueUrl=consumer.queue_url,
                MaxNumberOfMessages=min(consumer.batch_size, 10),
                WaitTimeSeconds=wait_seconds,
                VisibilityTimeout=LOCAL_RETRY_SECONDS,
                AttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                continue
            handled += len(messages)
            lock = self._locks.get(consumer.function) or threading.Lock()
            try:
                with lock:
                    result = self._handler(consumer)(
                        _sqs_event(consumer, messages), lambda_context(consumer.function)
                    )
            except Exception as error:
                # As on Lambda: the whole batch comes back after its visibility timeout.
                print(f"{consumer.function}: {error!r}", flush=True)
                continue
            failed = {item["itemIdentifier"] for item in (result or {}).get("batchItemFailures", [])}
            done = [m for m in messages if m["MessageId"] not in failed]
            if done:
                self._client.delete_message_batch(
                    QueueUrl=consumer.queue_url,
                    Entries=[{"Id": str(uuid.uuid4()), "ReceiptHandle": m["ReceiptHandle"]} for m in done],
                )
        return handled

    def drain(self, rounds: int = 50) -> int:
        """Poll until every queue is empty (for tests)."""
        total = 0
        for _ in range(rounds):
            handled = self.poll_once()
            total += handled
            if not handled:
                return total
        return total

    def run_forever(self) -> None:
        while not self._stop.is_set():
            try:
                # Short polls: the local backend serves one AWS call at a time, and a long poll
                # would hold every API request behind it for its wait.
                if not self.poll_once(wait_seconds=0):
                    time.sleep(IDLE_SECONDS)
            except Exception as error:
                print(f"queue runner: {error!r}", flush=True)
                time.sleep(1)

    def start(self) -> None:
        threading.Thread(target=self.run_forever, daemon=True, name="queues").start()

    def stop(self) -> None:
        self._stop.set()
