"""Export files in S3: written by multipart upload as the bytes come, fetched by presigned GET."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from pforte.aws.files import delete_prefix, presigned_download
from pforte.exports.service import content_disposition, customer_exports_prefix

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

# At least 5 MiB per part (S3's minimum but for the last); 16 MiB keeps a 1 GB file at 64 parts
# (10,000 at most; 160 GB then) with one part in memory at a time.
PART_BYTES = 16 * 1024 * 1024


class SingleObjectWriter:
    """An object known to fit one part goes up in one PutObject, as boto3's transfer manager does
    below its threshold: one call instead of three, and nothing half-made to discard on failure."""

    upload_id = None

    def __init__(self, client: S3Client, bucket: str, key: str, content_type: str, disposition: str) -> None:
        self._client = client
        self._bucket = bucket
        self._key = key
        self._content_type = content_type
        self._disposition = disposition
        self._buffer = bytearray()

    def write(self, data: bytes) -> None:
        self._buffer += data
        if len(self._buffer) > PART_BYTES:
            raise ValueError("More bytes than one part: use a multipart upload")

    def complete(self) -> int:
        self._client.put_object(
            Bucket=self._bucket,
            Key=self._key,
            Body=self._buffer,  # type: ignore[arg-type]  # botocore sends a bytearray as it is
            ContentType=self._content_type,
            ContentDisposition=self._disposition,
        )
        return len(self._buffer)

    def abort(self) -> None:
        self._buffer = bytearray()


class MultipartWriter:
    """Bytes in, parts of PART_BYTES out to S3. One buffer of one part's size is filled and sent
    as it is (no copies of whole parts), so memory does not grow with the file."""

    def __init__(
        self, client: S3Client, bucket: str, key: str, upload_id: str, on_part: Callable[[int], None]
    ) -> None:
        self._client = client
        self._bucket = bucket
        self._key = key
        self._upload_id = upload_id
        self._on_part = on_part
        self._buffer = bytearray(PART_BYTES)
        self._filled = 0
        self._parts: list[CompletedPartTypeDef] = []
        self._sent = 0

    @property
    def upload_id(self) -> str | None:
        return self._upload_id

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            take = view[: PART_BYTES - self._filled]
            self._buffer[self._filled : self._filled + len(take)] = take
            self._filled += len(take)
            view = view[len(take) :]
            if self._filled == PART_BYTES:
                self._send(self._buffer, report=True)
                self._filled = 0

    def _send(self, part: bytes | bytearray, *, report: bool) -> None:
        number = len(self._parts) + 1
        response = self._client.upload_part(
            Bucket=self._bucket,
            Key=self._key,
            UploadId=self._upload_id,
            PartNumber=number,
            Body=part,  # type: ignore[arg-type]  # botocore sends a bytearray as it is
        )
        self._parts.append({"PartNumber": number, "ETag": response["ETag"]})
        self._sent += len(part)
        if report:
            self._on_part(self._sent)

    def complete(self) -> int:
        if self._filled or not self._parts:
            # The last part, cut to its length in place (a slice would copy it); the finished
            # export records the final count itself.
            del self._buffer[self._filled :]
            self._send(self._buffer, report=False)
            self._filled = 0
        self._client.complete_multipart_upload(
            Bucket=self._bucket,
            Key=self._key,
            UploadId=self._upload_id,
            MultipartUpload={"Parts": self._parts},
        )
        return self._sent

    def abort(self) -> None:
        self._filled = 0
        abort_upload(self._client, self._bucket, self._key, self._upload_id)


def abort_upload(client: S3Client, bucket: str, key: str, upload_id: str) -> None:
    try:
        client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in {"NoSuchUpload", "404"}:
            raise


class S3ExportObjects:
    def __init__(self, client: S3Client, bucket: str) -> None:
        self._client = client
        self._bucket = bucket

    def open_writer(
        self,
        key: str,
        content_type: str,
        download_name: str,
        on_part: Callable[[int], None],
        size: int | None = None,
    ) -> SingleObjectWriter | MultipartWriter:
        disposition = content_disposition(download_name)
        if size is not None and size <= PART_BYTES:
            return SingleObjectWriter(self._client, self._bucket, key, content_type, disposition)
        upload = self._client.create_multipart_upload(
            Bucket=self._bucket, Key=key, ContentType=content_type, ContentDisposition=disposition
        )
        return MultipartWriter(self._client, self._bucket, key, upload["UploadId"], on_part)

    def abort(self, key: str, upload_id: str) -> None:
        abort_upload(self._client, self._bucket, key, upload_id)

    def remove(self, key: str) -> None:
        self._client.delete_object(Bucket=self._bucket, Key=key)

    def download_url(self, key: str, download_name: str, seconds: int) -> str:
        return presigned_download(self._client, self._bucket, key, download_name, seconds)

    def delete_of_customer(self, tenant_id: str, contact_id: str) -> None:
        delete_prefix(self._client, self._bucket, customer_exports_prefix(tenant_id, contact_id))
