"""The tenants function: the signed-in staff member's tenant and its settings."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from pforte import tenants as service
from pforte.api import CurrentActor, Tenants, create_app, prepare_event
from pforte.observability import instrumented
from pforte.tenants import TenantOut, TenantPatch

app = create_app()


@app.get("/tenant", summary="The caller's tenant settings", tags=["tenant"])
def get_tenant(actor: CurrentActor, tenants: Tenants) -> TenantOut:
    return TenantOut.of(service.get_tenant(tenants, actor))


@app.patch("/tenant", summary="Change tenant settings (admins only)", tags=["tenant"])
def update_tenant(actor: CurrentActor, tenants: Tenants, patch: TenantPatch) -> TenantOut:
    return TenantOut.of(service.update_tenant(tenants, actor, patch))


@instrumented
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(prepare_event(event), context)
