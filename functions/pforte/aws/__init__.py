"""Gateways to AWS services; boto3 lives here and in `pforte.store` only."""
