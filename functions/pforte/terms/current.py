"""Which terms of use are current: the one read of the terms that every contact list makes.

Apart from `service` (uploads, their checks, downloads) so that reading it loads neither the
upload machinery nor its models.
"""

from __future__ import annotations

from typing import Protocol


class CurrentTerms(Protocol):
    def current_version(self, tenant_id: str) -> str | None:
        """The version of the tenant's current terms of use; None before the first upload."""
