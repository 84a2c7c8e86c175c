"""Configuration, read once from the environment into a typed object.

Nothing else in the code reads `os.environ`: each field comes from the variable of its name in
capitals (TABLE_NAME, JOB_FILES_BUCKET, ...), the region from AWS_REGION or AWS_DEFAULT_REGION,
tracing from POWERTOOLS_TRACE_DISABLED (inverted).

A plain pydantic model, not pydantic-settings: importing pydantic-settings costs ~25 ms of every
cold start (its package imports argparse and python-dotenv for sources we do not use), a tenth of
the whole prescribed stack; mapping names to variables is the only part we need.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache

from pydantic import ConfigDict

from pforte.core.model import Model


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


class Settings(Model):
    model_config = ConfigDict(frozen=True, extra="forbid")

    table_name: str = "pforte"
    job_files_bucket: str = ""
    exports_bucket: str = ""
    imports_bucket: str = ""
    mail_queue_url: str = ""
    exports_queue_url: str = ""
    cleanup_queue_url: str = ""
    link_secret_arn: str = ""
    customer_user_pool_id: str = ""
    customer_user_pool_client_id: str = ""
    region: str = "eu-central-1"
    # Portal address given to tenants created without one (local tenants, new sign-ups).
    default_portal_base_url: str = "https://portal.example.com"
    default_mail_sender: str = "no-reply@example.com"
    cors_allow_origin: str = "*"
    # Tracing is on only where X-Ray is: the Tracer import alone costs ~200 ms of cold start.
    tracing_enabled: bool = False

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        values: dict[str, object] = {
            name: environ[name.upper()]
            for name in cls.model_fields
            if name not in {"region", "tracing_enabled"} and name.upper() in environ
        }
        # An empty AWS_REGION means none.
        values["region"] = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "eu-central-1"
        disabled = environ.get("POWERTOOLS_TRACE_DISABLED")
        if disabled is not None:
            values["tracing_enabled"] = not _flag(disabled)
        return cls.model_validate(values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_environ(os.environ)
