"""DynamoDB base and the one place for key formats (`keys`) and S3 object keys (`paths`)."""
