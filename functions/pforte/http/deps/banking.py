"""Dependencies of the banking area's routes."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Depends

from pforte import wiring
from pforte.banking.service import BankAccountRepository

BankAccountStore = Annotated[BankAccountRepository, Depends(wiring.bank_account_repository)]
