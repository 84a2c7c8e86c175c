"""Configuration, read once from the environment into a typed object.

Nothing else in the code reads `os.environ`.
"""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, ConfigDict


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    table_name: str
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
    tracing_enabled: bool = False


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    env = os.environ
    return Settings(
        table_name=env.get("TABLE_NAME", "pforte"),
        job_files_bucket=env.get("JOB_FILES_BUCKET", ""),
        exports_bucket=env.get("EXPORTS_BUCKET", ""),
        imports_bucket=env.get("IMPORTS_BUCKET", ""),
        mail_queue_url=env.get("MAIL_QUEUE_URL", ""),
        exports_queue_url=env.get("EXPORTS_QUEUE_URL", ""),
        cleanup_queue_url=env.get("CLEANUP_QUEUE_URL", ""),
        link_secret_arn=env.get("LINK_SECRET_ARN", ""),
        customer_user_pool_id=env.get("CUSTOMER_USER_POOL_ID", ""),
        customer_user_pool_client_id=env.get("CUSTOMER_USER_POOL_CLIENT_ID", ""),
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "eu-central-1",
        default_portal_base_url=env.get("DEFAULT_PORTAL_BASE_URL", "https://portal.example.com"),
        default_mail_sender=env.get("DEFAULT_MAIL_SENDER", "no-reply@example.com"),
        cors_allow_origin=env.get("CORS_ALLOW_ORIGIN", "*"),
        # Tracing is on only where X-Ray is: the Tracer import alone costs ~200 ms of cold start.
        tracing_enabled=not _flag(env.get("POWERTOOLS_TRACE_DISABLED", "true")),
    )
