"""Staff tokens for the local API: real Cognito ID tokens from moto, verified as the authorizer would.

On AWS, API Gateway's Cognito authorizer verifies the token and hands its claims to the function.
Locally the gateway does the same here: signature against the pool's JWKS, expiry, issuer (the
pool), audience (the app client) and token_use. moto signs every pool with one key, so issuer and
audience are what tell a staff token from a customer one.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
from collections.abc import Mapping
from typing import Any

import boto3
import jwt
from jwt import PyJWK

from infra.local.provision import REGION, LocalResources


class InvalidToken(Exception):
    """The token is missing, malformed, expired, or not a staff ID token of this pool."""


class TokenVerifier:
    def __init__(self, jwks: Mapping[str, Any], pool_id: str, client_id: str) -> None:
        self._keys = {key["kid"]: PyJWK(key) for key in jwks["keys"]}
        self._issuer = f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}"
        self._client_id = client_id

    def verify(self, authorization: str | None) -> dict[str, Any]:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidToken("missing bearer token")
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self._keys[kid]
            claims: dict[str, Any] = jwt.decode(
                token.strip(),
                key=key,
                algorithms=["RS256"],
                audience=self._client_id,
                issuer=self._issuer,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "token_use"]},
            )
        except (jwt.PyJWTError, KeyError) as error:
            raise InvalidToken(str(error)) from None
        if claims.get("token_use") != "id":
            raise InvalidToken("not an ID token")
        return claims


def _signed_in(client: Any, pool_id: str, client_id: str, username: str, password: str) -> str:
    """The ID token a password sign-in to the pool's app client gets, as the portal's would."""
    result = client.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    return str(result["AuthenticationResult"]["IdToken"])


class StaffTokens:
    """Issues ID tokens for `{role}@{tenant}` staff users, creating the user on first use."""

    def __init__(self, resources: LocalResources) -> None:
        self._pool_id = resources.staff_pool_id
        self._client_id = resources.staff_client_id
        self._client = boto3.client("cognito-idp", region_name=REGION)
        self._passwords: dict[str, str] = {}
        self._lock = threading.Lock()

    def _ensure_user(self, username: str, tenant_id: str, role: str) -> str:
        password = self._passwords.get(username)
        if password:
            return password
        # Every character class the pool's policy may ask for, whatever the random part holds.
        password = f"Local-{secrets.token_urlsafe(16)}-9aZ"
        # An earlier attempt may have made the user and failed later on: finish it below.
        with contextlib.suppress(self._client.exceptions.UsernameExistsException):
            self._client.admin_create_user(
                UserPoolId=self._pool_id,
                Username=username,
                UserAttributes=[
                    {"Name": "email", "Value": username},
                    {"Name": "email_verified", "Value": "true"},
                    {"Name": "custom:tenant_id", "Value": tenant_id},
                ],
                MessageAction="SUPPRESS",
            )
        self._client.admin_set_user_password(
            UserPoolId=self._pool_id, Username=username, Password=password, Permanent=True
        )
        self._client.admin_add_user_to_group(UserPoolId=self._pool_id, Username=username, GroupName=role)
        self._passwords[username] = password
        return password

    def issue(self, tenant_id: str, role: str) -> str:
        username = f"{role}@{tenant_id}.example.com"
        with self._lock:
            password = self._ensure_user(username, tenant_id, role)
        return _signed_in(self._client, self._pool_id, self._client_id, username, password)


class NoLogin(Exception):
    """The contact has no login identity (not registered), or it is disabled."""


class CustomerTokens:
    """ID tokens of the customer pool for contacts with a login, as the portal would obtain them
    by signing in. Locally the customer's password is set to a known one to sign in with."""

    def __init__(self, resources: LocalResources) -> None:
        self._pool_id = resources.pools["CustomerUserPool"]
        self._client_id = resources.clients["CustomerUserPool"]
        self._client = boto3.client("cognito-idp", region_name=REGION)
        self._lock = threading.Lock()

    def issue(self, tenant_id: str, contact_id: str) -> str:
        username = f"{tenant_id}.{contact_id}"  # as pforte.aws.identities names customers
        password = f"Local-{secrets.token_urlsafe(16)}-9aZ"
        errors = self._client.exceptions
        with self._lock:
            try:
                user = self._client.admin_get_user(UserPoolId=self._pool_id, Username=username)
            except errors.UserNotFoundException:
                raise NoLogin("The contact has no login yet: activate it first.") from None
            if not user.get("Enabled", True):
                raise NoLogin("The contact's login is deactivated.")
            if user.get("UserStatus") == "UNCONFIRMED":
                raise NoLogin("The contact has not activated its account yet.")
            self._client.admin_set_user_password(
                UserPoolId=self._pool_id, Username=username, Password=password, Permanent=True
            )
            return _signed_in(self._client, self._pool_id, self._client_id, username, password)
