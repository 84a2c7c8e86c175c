"""The catalogue of portal rights: kept apart and light, since every customer route names one."""

from __future__ import annotations

from enum import StrEnum


class Right(StrEnum):
    """What a customer may do in the portal; permission groups hold a set of these."""

    JOBS_VIEW = "jobs.view"
    JOBS_SUBMIT = "jobs.submit"
    JOBS_DOWNLOAD = "jobs.download"
    DOCUMENTS_VIEW = "documents.view"
    MESSAGES_READ = "messages.read"
    PROFILE_EDIT = "profile.edit"


ALL_RIGHTS: tuple[Right, ...] = tuple(Right)
