"""Files in the job-files bucket (job files, terms, a contact's attachments): signed uploads, what
arrived (size, metadata, bytes), reading them as a stream for backups, and removing them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from pforte.aws.uploads import S3Uploads
from pforte.contacts.service import contact_files_prefix
from pforte.jobs.files import FileMissing, StoredObject
from pforte.jobs.service import files_prefix

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ObjectIdentifierTypeDef

DELETE_BATCH = 1000  # DeleteObjects' limit
READ_CHUNK_BYTES = 1024 * 1024
_MISSING = {"404", "NoSuchKey", "NoSuchVersion", "NotFound"}


def _version(version_id: str | None) -> dict[str, Any]:
    # Unversioned buckets report the version "null"; S3 takes it back only where versioning was on.
    return {"VersionId": version_id} if version_id and version_id != "null" else {}


class S3JobFiles:
    def __init__(self, client: S3Client, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def presigned_post(
        self, key: str, max_bytes: int, content_type: str, metadata: dict[str, str]
    ) -> dict[str, Any]:
        return S3Uploads(self._client, self._bucket).presigned_post(key, max_bytes, content_type, metadata)

    def head(self, key: str, version_id: str | None, etag: str | None = None) -> StoredObject | None:
        if version_id is None and etag:
            version_id = self._version_of(key, etag)
        try:
            response = self._client.head_object(Bucket=self._bucket, Key=key, **_version(version_id))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING:
                return None
            raise
        return StoredObject(
            size=response["ContentLength"],
            upload_id=response.get("Metadata", {}).get("upload-id"),
            version_id=response.get("VersionId"),
        )

    def _version_of(self, key: str, etag: str) -> str | None:
        """The newest version of `key` with this ETag. S3's notifications name the version; moto's
        do not, and the latest version may already be a later upload."""
        listed = self._client.list_object_versions(Bucket=self._bucket, Prefix=key)
        matching = [
            version
            for version in listed.get("Versions", [])
            if version["Key"] == key and version["ETag"].strip('"') == etag.strip('"')
        ]
        if not matching:
            return None
        newest = max(matching, key=lambda version: version["LastModified"])
        return newest["VersionId"]

    def read_range(self, key: str, version_id: str | None, start: int, end: int) -> bytes:
        byte_range = f"bytes={start}" if start < 0 else f"bytes={start}-{end}"
        response = self._client.get_object(
            Bucket=self._bucket, Key=key, Range=byte_range, **_version(version_id)
        )
        data: bytes = response["Body"].read()
        return data

    def chunks(self, key: str, version_id: str | None) -> Iterator[bytes]:
        """The object's bytes in chunks of at most 1 MiB, read as they are consumed."""
        try:
            body = self._client.get_object(Bucket=self._bucket, Key=key, **_version(version_id))["Body"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING:
                raise FileMissing(key) from None
            raise
        try:
            yield from body.iter_chunks(READ_CHUNK_BYTES)
        finally:
            body.close()

    def download_url(
        self, key: str, version_id: str | None, filename: str, seconds: int, content_type: str | None = None
    ) -> str:
        return presigned_download(
            self._client, self._bucket, key, filename, seconds, version_id, content_type
        )

    def remove(self, key: str, version_id: str | None) -> None:
        self._client.delete_object(Bucket=self._bucket, Key=key, **_version(version_id))

    def remove_all(self, key: str) -> None:
        """Every version of the object `key` (keys that merely start with it are left alone)."""
        listed = self._client.list_object_versions(Bucket=self._bucket, Prefix=key)
        found: list[ObjectIdentifierTypeDef] = [
            {"Key": item["Key"], "VersionId": item["VersionId"]}
            for item in [*listed.get("Versions", []), *listed.get("DeleteMarkers", [])]
            if item["Key"] == key
        ]
        if found:
            self._client.delete_objects(Bucket=self._bucket, Delete={"Objects": found, "Quiet": True})

    def delete_of_contact(self, tenant_id: str, contact_id: str) -> None:
        """Every version of every file below the contact's own prefix (its attachments, ...)."""
        delete_prefix(self._client, self._bucket, contact_files_prefix(tenant_id, contact_id))

    def delete_all(self, tenant_id: str, job_ids: Sequence[str]) -> None:
        """Every version of every file of these jobs: a deleted customer's files do not linger as
        old versions."""
        for job_id in job_ids:
            delete_prefix(self._client, self._bucket, files_prefix(tenant_id, job_id))


def delete_prefix(client: S3Client, bucket: str, prefix: str) -> None:
    """Remove every object below `prefix`, with all its versions where the bucket keeps them."""
    paginator = client.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        found: list[ObjectIdentifierTypeDef] = [
            {"Key": item["Key"], "VersionId": item["VersionId"]}
            for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
        ]
        for start in range(0, len(found), DELETE_BATCH):
            client.delete_objects(
                Bucket=bucket, Delete={"Objects": found[start : start + DELETE_BATCH], "Quiet": True}
            )


def presigned_download(
    client: S3Client,
    bucket: str,
    key: str,
    filename: str,
    seconds: int,
    version_id: str | None = None,
    content_type: str | None = None,
) -> str:
    """A GET link to the object that saves it under `filename`, valid `seconds`; with `content_type`
    the answer says that type, whatever the object was stored with."""
    from pforte.exports.service import content_disposition

    url: str = client.generate_presigned_url(
        "get_object",
        Params={
            "Bucket": bucket,
            "Key": key,
            "ResponseContentDisposition": content_disposition(filename),
            **({"ResponseContentType": content_type} if content_type else {}),
            **_version(version_id),
        },
        ExpiresIn=seconds,
    )
    return url
