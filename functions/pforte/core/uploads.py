"""The shape of a presigned POST: where to send a file and the fields S3 checks."""

from __future__ import annotations

from pforte.core.model import Model


class UploadForm(Model):
    """A presigned POST form: post the fields and then the file to `url`."""

    url: str
    fields: dict[str, str]
