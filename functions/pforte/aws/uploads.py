"""Uploads straight to S3 through presigned POSTs, and reading them back as a stream."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, BinaryIO

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

UPLOAD_LINK_SECONDS = 3600


class _Readable(io.RawIOBase):
    """A botocore streaming body as a raw stream, so it can be buffered and decoded lazily."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self._body.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def close(self) -> None:
        self._body.close()
        super().close()


class S3Uploads:
    def __init__(self, client: S3Client, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def presigned_post(
        self, key: str, max_bytes: int, content_type: str, metadata: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """URL and form fields for one upload to `key`; S3 refuses files larger than `max_bytes`,
        and any change of the fields the form sets (content type, metadata)."""
        fields = {"Content-Type": content_type}
        fields |= {f"x-amz-meta-{name}": value for name, value in (metadata or {}).items()}
        post = self._client.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields=fields,
            Conditions=[
                ["content-length-range", 1, max_bytes],
                *({name: value} for name, value in fields.items()),
            ],
            ExpiresIn=UPLOAD_LINK_SECONDS,
        )
        return {"url": post["url"], "fields": post["fields"]}

    def open(self, key: str) -> BinaryIO:
        body = self._client.get_object(Bucket=self._bucket, Key=key)["Body"]
        return io.BufferedReader(_Readable(body), buffer_size=1 << 16)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self._client.put_object(Bucket=self._bucket, Key=key, Body=data, ContentType=content_type)

    def delete(self, key: str) -> None:
        self._client.delete_object(Bucket=self._bucket, Key=key)
