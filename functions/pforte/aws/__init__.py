"""Gateways to AWS services; boto3 lives here, in `pforte.storage` and in the areas' stores only."""
