"""Configuration comes from the environment: one variable per field, by the field's name in capitals."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pforte.core.settings import Settings


def test_each_field_reads_its_variable_and_unknown_variables_are_ignored() -> None:
    settings = Settings.from_environ(
        {
            "TABLE_NAME": "t1",
            "JOB_FILES_BUCKET": "jobs",
            "PATH": "/usr/bin",
            "CORS_ALLOW_ORIGIN": "https://a.example",
        }
    )
    assert (settings.table_name, settings.job_files_bucket, settings.cors_allow_origin) == (
        "t1",
        "jobs",
        "https://a.example",
    )
    assert settings.exports_bucket == ""  # absent: the default


@pytest.mark.parametrize(
    ("environ", "region"),
    [
        ({"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-east-1"}, "eu-west-1"),
        ({"AWS_DEFAULT_REGION": "us-east-1"}, "us-east-1"),
        ({"AWS_REGION": "", "AWS_DEFAULT_REGION": ""}, "eu-central-1"),
        ({}, "eu-central-1"),
    ],
)
def test_the_region_comes_from_aws_region_then_the_default_region(
    environ: dict[str, str], region: str
) -> None:
    assert Settings.from_environ(environ).region == region


@pytest.mark.parametrize(
    ("disabled", "enabled"), [("true", False), ("1", False), ("false", True), ("", True), (None, False)]
)
def test_tracing_is_the_inverse_of_powertools_trace_disabled(disabled: str | None, enabled: bool) -> None:
    environ = {} if disabled is None else {"POWERTOOLS_TRACE_DISABLED": disabled}
    assert Settings.from_environ(environ).tracing_enabled is enabled


def test_settings_are_frozen() -> None:
    settings = Settings.from_environ({})
    with pytest.raises(ValidationError):
        settings.table_name = "other"  # type: ignore[misc]
