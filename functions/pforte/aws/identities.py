"""Customers' login identities in the customer Cognito user pool.

One identity per contact: username `<tenant>.<contact id>` (a customer may be a contact of several
tenants), attributes email, `custom:tenant_id`, `custom:contact_id`. Every call is idempotent.
"""

from __future__ import annotations

import contextlib
import secrets
from typing import TYPE_CHECKING

from pforte.contacts.lifecycle import WeakPassword
from pforte.contacts.service import Contact

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient
    from mypy_boto3_cognito_idp.type_defs import AttributeTypeTypeDef


def username(contact: Contact) -> str:
    return f"{contact.tenant_id}.{contact.id}"


class CognitoLoginIdentities:
    def __init__(self, client: CognitoIdentityProviderClient, pool_id: str, client_id: str) -> None:
        self._client = client
        self._pool = pool_id
        self._app_client = client_id

    def _attributes(self, contact: Contact) -> list[AttributeTypeTypeDef]:
        return [
            {"Name": "email", "Value": contact.email},
            {"Name": "custom:tenant_id", "Value": contact.tenant_id},
            {"Name": "custom:contact_id", "Value": contact.id},
        ]

    def create(self, contact: Contact, password: str) -> None:
        with contextlib.suppress(self._client.exceptions.UsernameExistsException):
            self._client.admin_create_user(
                UserPoolId=self._pool,
                Username=username(contact),
                UserAttributes=[*self._attributes(contact), {"Name": "email_verified", "Value": "true"}],
                MessageAction="SUPPRESS",  # our own activation mail has done the inviting
            )
        try:
            self._client.admin_set_user_password(
                UserPoolId=self._pool, Username=username(contact), Password=password, Permanent=True
            )
        except (
            self._client.exceptions.InvalidPasswordException,
            self._client.exceptions.InvalidParameterException,
        ) as error:
            # Cognito reports some refused passwords (e.g. leading spaces) as invalid parameters.
            raise WeakPassword(str(error.response.get("Error", {}).get("Message", "too weak"))) from None
        self._client.admin_enable_user(UserPoolId=self._pool, Username=username(contact))

    def register(self, contact: Contact, password: str) -> None:
        try:
            self._client.sign_up(
                ClientId=self._app_client,
                Username=username(contact),
                Password=password,
                UserAttributes=self._attributes(contact),
            )
        except self._client.exceptions.UsernameExistsException:
            return
        except self._client.exceptions.InvalidPasswordException as error:
            raise WeakPassword(str(error.response.get("Error", {}).get("Message", "too weak"))) from None

    def confirm_and_enable(self, contact: Contact) -> None:
        user = self._client.admin_get_user(UserPoolId=self._pool, Username=username(contact))
        if user.get("UserStatus") == "UNCONFIRMED":
            self._client.admin_confirm_sign_up(UserPoolId=self._pool, Username=username(contact))
        if not user.get("Enabled", True):
            self._client.admin_enable_user(UserPoolId=self._pool, Username=username(contact))

    def confirm_without_password(self, contact: Contact) -> None:
        # A permanent password confirms an unconfirmed identity; this one is never shown to anyone.
        self._client.admin_set_user_password(
            UserPoolId=self._pool,
            Username=username(contact),
            Password=secrets.token_urlsafe(32) + "Aa1",
            Permanent=True,
        )
        self.confirm_and_enable(contact)

    def disable(self, contact: Contact) -> None:
        # No identity to disable is as good as a disabled one.
        with contextlib.suppress(self._client.exceptions.UserNotFoundException):
            self._client.admin_disable_user(UserPoolId=self._pool, Username=username(contact))
            # Disabling does not end sessions already open: revoke their refresh tokens too.
            self._client.admin_user_global_sign_out(UserPoolId=self._pool, Username=username(contact))

    def change_email(self, contact: Contact) -> None:
        with contextlib.suppress(self._client.exceptions.UserNotFoundException):
            self._client.admin_update_user_attributes(
                UserPoolId=self._pool,
                Username=username(contact),
                UserAttributes=[
                    {"Name": "email", "Value": contact.email},
                    {"Name": "email_verified", "Value": "true"},
                ],
            )

    def delete(self, contact: Contact) -> None:
        with contextlib.suppress(self._client.exceptions.UserNotFoundException):
            self._client.admin_delete_user(UserPoolId=self._pool, Username=username(contact))
