"""Consent rules: which status a grant or withdrawal leads to, how the granted count moves, which
channels need double opt-in, how wording versions count, and the confirmation mail."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pforte.consents.service import (
    ConfirmationToken,
    ConsentStatus,
    granted_delta,
    needs_confirmation,
    next_status,
)
from pforte.contacts.service import Contact
from pforte.core.fields import Language
from pforte.mail.messages import consent_confirmation_mail
from pforte.tenants.service import (
    ChannelType,
    ConsentChannel,
    ConsentChannelIn,
    Tenant,
    highest_versions,
    versioned_channels,
)

NONE, PENDING, GRANTED, WITHDRAWN = (
    ConsentStatus.NONE,
    ConsentStatus.PENDING,
    ConsentStatus.GRANTED,
    ConsentStatus.WITHDRAWN,
)


@pytest.mark.parametrize(
    ("current", "granted", "double_opt_in", "expected"),
    [
        # a grant on a channel without confirmation counts at once
        (NONE, True, False, GRANTED),
        (WITHDRAWN, True, False, GRANTED),
        (GRANTED, True, False, GRANTED),
        # an email grant waits for the link, unless it is granted already
        (NONE, True, True, PENDING),
        (WITHDRAWN, True, True, PENDING),
        (PENDING, True, True, PENDING),
        (GRANTED, True, True, GRANTED),
        # withdrawing is immediate, confirmed or not; what never was stays
        (GRANTED, False, True, WITHDRAWN),
        (PENDING, False, True, WITHDRAWN),
        (GRANTED, False, False, WITHDRAWN),
        (NONE, False, True, NONE),
        (WITHDRAWN, False, False, WITHDRAWN),
    ],
)
def test_next_status(
    current: ConsentStatus, granted: bool, double_opt_in: bool, expected: ConsentStatus
) -> None:
    assert next_status(current, granted, double_opt_in) is expected


@pytest.mark.parametrize(
    ("before", "after", "delta"),
    [
        (NONE, GRANTED, 1),
        (PENDING, GRANTED, 1),
        (WITHDRAWN, GRANTED, 1),
        (GRANTED, WITHDRAWN, -1),
        (GRANTED, GRANTED, 0),
        (NONE, PENDING, 0),
        (PENDING, WITHDRAWN, 0),
    ],
)
def test_the_granted_count_moves_only_entering_or_leaving_granted(
    before: ConsentStatus, after: ConsentStatus, delta: int
) -> None:
    assert granted_delta(before, after) == delta


@pytest.mark.parametrize("kind", list(ChannelType))
def test_only_email_channels_need_double_opt_in(kind: ChannelType) -> None:
    channel = ConsentChannel(key="c", type=kind, wording="w")
    assert needs_confirmation(channel) is (kind is ChannelType.EMAIL)


def test_a_changed_wording_counts_its_version_up_and_a_kept_one_keeps_it() -> None:
    current = [
        ConsentChannel(key="post", type=ChannelType.POST, wording="old", wording_version=3),
        ConsentChannel(key="phone", type=ChannelType.PHONE, wording="same", wording_version=2),
    ]
    given = [
        ConsentChannelIn(key="post", type=ChannelType.POST, wording="new"),
        ConsentChannelIn(key="phone", type=ChannelType.PHONE, wording="same"),
        ConsentChannelIn(key="sms", type=ChannelType.SMS, wording="texts"),
    ]
    assert [(c.key, c.wording_version) for c in versioned_channels(current, given)] == [
        ("post", 4),
        ("phone", 2),
        ("sms", 1),
    ]


def test_tokens_name_their_tenant_and_only_wellformed_ones_parse() -> None:
    token = ConfirmationToken.new("acme")
    parsed = ConfirmationToken.parse(str(token))
    assert parsed == token
    assert parsed is not None
    assert parsed.digest == token.digest != token.secret
    assert ConfirmationToken.parse("acme.short") is None
    assert ConfirmationToken.parse("no-dot-" + "x" * 43) is None


@pytest.mark.parametrize("language", list(Language))
def test_the_confirmation_mail_quotes_the_wording_and_escapes_html(language: Language) -> None:
    tenant = Tenant.model_construct(  # type: ignore[call-arg]
        name="Druck & <Nord>", time_zone="Europe/Berlin", mail_sender="m@example.com"
    )
    contact = Contact.model_construct(  # type: ignore[call-arg]
        name="Ann", email="ann@example.com", language=language
    )
    at = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    mail = consent_confirmation_mail(tenant, contact, "https://p.example/c?token=a&b", at, "News <b>")
    assert mail.template == f"consent_confirmation.{language}"
    assert "News <b>" in mail.text
    assert "https://p.example/c?token=a&b\n" in mail.text
    assert "(Europe/Berlin)" in mail.text
    assert "News &lt;b&gt;" in mail.html
    assert 'href="https://p.example/c?token=a&amp;b"' in mail.html
    assert "\n" not in mail.subject


def test_a_channel_removed_and_added_again_counts_its_wording_on() -> None:
    post = ConsentChannelIn(key="post", type=ChannelType.POST, wording="Offers by post.")
    first = versioned_channels([], [post])
    assert first[0].wording_version == 1
    highest = highest_versions({}, first)
    removed = versioned_channels(first, [], highest)
    assert removed == []
    again = ConsentChannelIn(key="post", type=ChannelType.POST, wording="Something else entirely.")
    assert versioned_channels(removed, [again], highest_versions(highest, removed))[0].wording_version == 2


def test_the_list_as_shown_can_be_sent_back_and_keeps_its_versions() -> None:
    post = ConsentChannelIn(key="post", type=ChannelType.POST, wording="Offers by post.")
    shown = versioned_channels([], [post])
    sent_back = [ConsentChannelIn.model_validate(channel.model_dump()) for channel in shown]
    assert versioned_channels(shown, sent_back) == shown
