"""The accounts function: what staff manage on one customer's account beyond the contact row
(addresses, bank accounts, activities, consents, permission groups, the tabs' counts). One router
per part, each in its own module beside this one."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from accounts.activities import router as activities_router
from accounts.addresses import router as addresses_router
from accounts.bank_accounts import router as bank_accounts_router
from accounts.consents import router as consents_router
from accounts.groups import router as groups_router
from accounts.summary import router as summary_router
from pforte.aws import snapstart  # noqa: F401 - registers the SnapStart hook (clients before the snapshot)
from pforte.core.observability import instrumented
from pforte.http.events import prepare_event
from pforte.http.resolver import create_app

app = create_app()
app.include_router(summary_router)
app.include_router(consents_router)
app.include_router(addresses_router)
app.include_router(bank_accounts_router)
app.include_router(groups_router)
app.include_router(activities_router)


@instrumented
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(prepare_event(event), context)
