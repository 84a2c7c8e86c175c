"""DynamoDB repositories. Key formats live in `keys` and nowhere else."""
