"""Bank accounts in DynamoDB: one item each in the contact's partition, written with its counter,
and one guard per mandate reference outside it (the reference's uniqueness within the tenant)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pforte.banking.service import BankAccount, BankAccounts, MandateTaken, mandate_key, mandate_moves
from pforte.core.counters import Counter
from pforte.core.retry import Retry
from pforte.storage import keys
from pforte.storage.dynamo import model_from, to_item
from pforte.storage.owned import OwnedItems, OwnedWrite

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef


class DynamoBankAccountRepository(OwnedItems):
    def bank_accounts(self, tenant_id: str, contact_id: str) -> BankAccounts:
        items, counters = self._owned(tenant_id, contact_id, keys.BANK_ACCOUNTS.prefix)
        return BankAccounts(items=tuple(model_from(BankAccount, item) for item in items), counters=counters)

    def _claim(self, tenant_id: str, account: BankAccount) -> TransactWriteItemTypeDef:
        key = mandate_key(account.mandate_reference)
        guard = {
            **keys.mandate_guard_key(tenant_id, key),
            "entity": "mandate_guard",
            "contact_id": account.contact_id,
            "bank_account_id": account.id,
        }
        return {
            "Put": {
                "TableName": self._table,
                "Item": to_item(guard),
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }

    def _release(self, tenant_id: str, account: BankAccount) -> TransactWriteItemTypeDef:
        return {
            "Delete": {
                "TableName": self._table,
                "Key": to_item(keys.mandate_guard_key(tenant_id, mandate_key(account.mandate_reference))),
                "ConditionExpression": "bank_account_id = :id",
                "ExpressionAttributeValues": {":id": {"S": account.id}},
            }
        }

    def save(
        self,
        tenant_id: str,
        read: BankAccounts,
        changed: Sequence[BankAccount],
        removed: Sequence[BankAccount],
        count: int,
    ) -> None:
        contact_id = next(account.contact_id for account in (*changed, *removed))
        claiming, releasing = mandate_moves(read, changed, removed)
        claims = [self._claim(tenant_id, account) for account in claiming]
        releases = [self._release(tenant_id, account) for account in releasing]
        counter = Counter.BANK_ACCOUNTS.value
        write = OwnedWrite(
            puts=[
                to_item(
                    {
                        **keys.BANK_ACCOUNTS.key(tenant_id, contact_id, account.id),
                        "entity": "bank_account",
                        # What the contact delete cascade needs to find the guard (contacts.store).
                        "mandate_key": mandate_key(account.mandate_reference),
                        **account.model_dump(mode="json"),
                    }
                )
                for account in changed
            ],
            deletes=[
                (keys.BANK_ACCOUNTS.key(tenant_id, contact_id, account.id), account.version)
                for account in removed
            ],
            counters={counter: (read.counters.get(counter, 0), count)},
            extra=[*claims, *releases],
        )
        failed = self._write_owned(tenant_id, contact_id, write)
        if any(index < len(claims) for index in failed):
            raise MandateTaken
        if failed:  # a guard released meanwhile: read again
            raise Retry
