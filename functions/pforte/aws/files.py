"""Job files in S3: removing all files of jobs that are gone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pforte.jobs import files_prefix

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ObjectIdentifierTypeDef

DELETE_BATCH = 1000  # DeleteObjects' limit


class S3JobFiles:
    def __init__(self, client: S3Client, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def delete_all(self, tenant_id: str, job_ids: Sequence[str]) -> None:
        paginator = self._client.get_paginator("list_objects_v2")
        for job_id in job_ids:
            for page in paginator.paginate(Bucket=self._bucket, Prefix=files_prefix(tenant_id, job_id)):
                keys: list[ObjectIdentifierTypeDef] = [
                    {"Key": item["Key"]} for item in page.get("Contents", [])
                ]
                for start in range(0, len(keys), DELETE_BATCH):
                    self._client.delete_objects(
                        Bucket=self._bucket,
                        Delete={"Objects": keys[start : start + DELETE_BATCH], "Quiet": True},
                    )
