"""The contact's mail log: one item per mail sent to the contact, in its partition (deleted with
it), kept for a year; written in the transaction that records the sending, with the summary's
count of mails."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pforte.contacts.service import Contact
from pforte.core.clock import iso, new_id, utcnow
from pforte.core.counters import Counter
from pforte.mail.messages import OutgoingMail
from pforte.storage import keys
from pforte.storage.dynamo import count_change, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import TransactWriteItemTypeDef

MAIL_LOG_SECONDS = 366 * 24 * 3600


def mail_log_parts(
    table: str, contact: Contact, mail: OutgoingMail, message_id: str
) -> list[TransactWriteItemTypeDef]:
    """The log item of a sent mail (keep secrets out of `mail` first: `messages.without_secret`)
    and the move of the contact's count of mails."""
    sent_at = utcnow()
    item = {
        **keys.MAILS.key(contact.tenant_id, contact.id, new_id()),
        "entity": "mail",
        "recipient": mail.to,
        "template": mail.template,
        "subject": mail.subject,
        "text": mail.text,
        "message_id": message_id,
        "sent_at": iso(sent_at),
        keys.TTL: int(sent_at.timestamp()) + MAIL_LOG_SECONDS,
    }
    return [
        {"Put": {"TableName": table, "Item": to_item(item)}},
        count_change(table, keys.summary_key(contact.tenant_id, contact.id), {Counter.MAILS: 1}),
    ]
