"""Claims → actor: the one place that decides who is calling."""

from __future__ import annotations

import pytest

from pforte.core.errors import DomainError, ErrorCode
from pforte.core.identity import Role, actor_from_claims, is_tenant_id, require_admin


def claims(**overrides: object) -> dict[str, object]:
    return {
        "sub": "u1",
        "custom:tenant_id": "acme",
        "cognito:groups": "admin",
        "token_use": "id",
        **overrides,
    }


@pytest.mark.parametrize(
    ("groups", "role"),
    [
        ("admin", Role.ADMIN),
        ("operator", Role.OPERATOR),
        ("[operator admin]", Role.ADMIN),
        ("operator,admin", Role.ADMIN),
        (["operator"], Role.OPERATOR),
    ],
)
def test_the_role_comes_from_the_groups_in_any_form_api_gateway_sends(groups: object, role: Role) -> None:
    actor = actor_from_claims(claims(**{"cognito:groups": groups}))
    assert (actor.tenant_id, actor.user_id, actor.role) == ("acme", "u1", role)


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"custom:tenant_id": None}, ErrorCode.FORBIDDEN),
        ({"custom:tenant_id": "a#b"}, ErrorCode.FORBIDDEN),
        ({"cognito:groups": None}, ErrorCode.FORBIDDEN),
        ({"cognito:groups": "administrators"}, ErrorCode.FORBIDDEN),
        ({"token_use": "access"}, ErrorCode.UNAUTHORIZED),
        ({"sub": None}, ErrorCode.FORBIDDEN),
    ],
)
def test_claims_that_are_no_staff_member_are_refused(overrides: dict[str, object], code: ErrorCode) -> None:
    with pytest.raises(DomainError) as refused:
        actor_from_claims(claims(**overrides))
    assert refused.value.code is code


def test_no_claims_is_unauthorized() -> None:
    with pytest.raises(DomainError) as refused:
        actor_from_claims(None)
    assert refused.value.code is ErrorCode.UNAUTHORIZED


def test_only_admins_pass_require_admin() -> None:
    assert require_admin(actor_from_claims(claims())).is_admin
    with pytest.raises(DomainError) as refused:
        require_admin(actor_from_claims(claims(**{"cognito:groups": "operator"})))
    assert refused.value.code is ErrorCode.FORBIDDEN


@pytest.mark.parametrize(
    ("value", "ok"),
    [("demo", True), ("print-shop-7", True), ("Demo", False), ("-x", False), ("a#b", False), ("", False)],
)
def test_tenant_ids_have_a_key_safe_shape(value: str, ok: bool) -> None:
    assert is_tenant_id(value) is ok
