"""Pforte's domain package: models, rules and adapters shared by every Lambda function."""
