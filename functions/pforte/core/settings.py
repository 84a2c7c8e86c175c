"""Configuration, read once from the environment into a typed object.

Nothing else in the code reads `os.environ`: each field comes from the variable of its name in
capitals (TABLE_NAME, JOB_FILES_BUCKET, ...), the region from AWS_REGION or AWS_DEFAULT_REGION,
tracing from POWERTOOLS_TRACE_DISABLED (inverted).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, case_sensitive=False)

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
    region: str = Field(
        default="eu-central-1", validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION")
    )
    # Portal address given to tenants created without one (local tenants, new sign-ups).
    default_portal_base_url: str = "https://portal.example.com"
    default_mail_sender: str = "no-reply@example.com"
    cors_allow_origin: str = "*"
    # Tracing is on only where X-Ray is: the Tracer import alone costs ~200 ms of cold start.
    tracing_enabled: bool = Field(default=False, validation_alias="POWERTOOLS_TRACE_DISABLED")

    @field_validator("region", mode="before")
    @classmethod
    def _region(cls, value: Any) -> Any:
        return value or "eu-central-1"  # an empty AWS_REGION means none

    @field_validator("tracing_enabled", mode="before")
    @classmethod
    def _tracing(cls, value: Any) -> Any:
        # Read from POWERTOOLS_TRACE_DISABLED: a string there is "disabled?", the answer inverted.
        return not _flag(value) if isinstance(value, str) else value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
