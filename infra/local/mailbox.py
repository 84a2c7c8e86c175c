"""The dev mailbox: what the local SES (moto) accepted, readable at GET /_local/mail."""

from __future__ import annotations

from collections import deque
from email import message_from_string, policy
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import Message, RawMessage, ses_backends

from infra.local.provision import REGION

# moto keeps every mail SES accepted; a long `make run` with bulk mails keeps the newest ones.
MAILBOX_LIMIT = 1000


def _parts(raw: str) -> tuple[str, str | None, str | None]:
    parsed = message_from_string(raw, policy=policy.default)
    text = parsed.get_body(preferencelist=("plain",))
    html = parsed.get_body(preferencelist=("html",))
    return (
        str(parsed.get("Subject", "")),
        text.get_content() if text is not None else None,  # type: ignore[attr-defined]
        html.get_content() if html is not None else None,  # type: ignore[attr-defined]
    )


def bound_mailbox(limit: int = MAILBOX_LIMIT) -> None:
    """Keep only the newest `limit` mails (older ones leave the mailbox as new ones arrive)."""
    backend = ses_backends[DEFAULT_ACCOUNT_ID][REGION]
    backend.sent_messages = deque(backend.sent_messages, maxlen=limit)  # type: ignore[assignment]


def sent_mail(to: str | None) -> list[dict[str, Any]]:
    """Mail sent through SES, oldest first; only that to `to` (any case) when given."""
    backend = ses_backends[DEFAULT_ACCOUNT_ID][REGION]
    items = []
    for message in list(backend.sent_messages):
        if isinstance(message, Message):
            recipients = [address for kind in message.destinations.values() for address in kind]
            is_html = message.body.lstrip().startswith("<")
            subject = message.subject
            text, html = (None, message.body) if is_html else (message.body, None)
        elif isinstance(message, RawMessage):
            recipients = list(message.destinations)
            subject, text, html = _parts(message.raw_data)
        else:
            continue
        recipients = list(dict.fromkeys(recipients))  # moto lists a raw message's To twice
        if to and to.lower() not in {address.lower() for address in recipients}:
            continue
        items.append({"to": recipients, "subject": subject, "text": text, "html": html})
    return items
