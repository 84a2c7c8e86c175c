"""Create the template's table, buckets and user pools on moto (server or in-process mock).

Everything is read from template.yaml, so the tests' and the local API's resources are the
deployed ones: same keys, indexes, TTL, pool attributes and groups.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

import boto3

from infra.template import function_environment, load_template, resources

REGION = "eu-central-1"
LOCAL_PREFIX = "pforte-local"
MAIL_DOMAIN = "example.com"


@dataclass
class LocalResources:
    """Physical names of what was created, by the template's logical ids."""

    physical: dict[str, str] = field(default_factory=dict)
    pools: dict[str, str] = field(default_factory=dict)  # pool logical id → pool id
    arns: dict[str, str] = field(default_factory=dict)
    clients: dict[str, str] = field(default_factory=dict)  # pool logical id → app client id

    def environment(self) -> dict[str, str]:
        return function_environment(self.physical)

    @property
    def staff_pool_id(self) -> str:
        return self.pools["StaffUserPool"]

    @property
    def staff_client_id(self) -> str:
        return self.clients["StaffUserPool"]


def _physical_name(logical_id: str) -> str:
    return f"{LOCAL_PREFIX}-{logical_id.lower()}"


def _create_tables(found: LocalResources, template: dict[str, Any]) -> None:
    client = boto3.client("dynamodb", region_name=REGION)
    for logical_id, props in resources("AWS::DynamoDB::Table", template).items():
        name = _physical_name(logical_id)
        request: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if "GlobalSecondaryIndexes" in props:
            request["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        client.create_table(**request)
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            client.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        found.physical[logical_id] = name


def _create_buckets(found: LocalResources, template: dict[str, Any]) -> None:
    client = boto3.client("s3", region_name=REGION)
    for logical_id, props in resources("AWS::S3::Bucket", template).items():
        name = _physical_name(logical_id)
        client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        versioning = props.get("VersioningConfiguration", {}).get("Status")
        if versioning:
            client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": versioning})
        rules = props.get("LifecycleConfiguration", {}).get("Rules", [])
        expiring = [rule for rule in rules if "ExpirationInDays" in rule]
        if expiring:
            client.put_bucket_lifecycle_configuration(
                Bucket=name,
                LifecycleConfiguration={
                    "Rules": [
                        {
                            "ID": rule["Id"],
                            "Status": rule["Status"],
                            "Filter": {"Prefix": ""},
                            "Expiration": {"Days": rule["ExpirationInDays"]},
                        }
                        for rule in expiring
                    ]
                },
            )
        found.physical[logical_id] = name


def _create_queues(found: LocalResources, template: dict[str, Any]) -> None:
    client = boto3.client("sqs", region_name=REGION)
    queues = resources("AWS::SQS::Queue", template)
    # Dead-letter queues first: the others name them in their redrive policy.
    ordered = sorted(queues.items(), key=lambda item: "RedrivePolicy" in item[1])
    for logical_id, props in ordered:
        attributes = {}
        if "VisibilityTimeout" in props:
            attributes["VisibilityTimeout"] = str(props["VisibilityTimeout"])
        redrive = props.get("RedrivePolicy")
        if redrive:
            target = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
            attributes["RedrivePolicy"] = json.dumps(
                {
                    "deadLetterTargetArn": found.arns[target],
                    "maxReceiveCount": str(redrive["maxReceiveCount"]),
                }
            )
        url = client.create_queue(QueueName=_physical_name(logical_id), Attributes=attributes)["QueueUrl"]
        found.physical[logical_id] = url
        found.arns[logical_id] = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]


def _connect_notifications(found: LocalResources, template: dict[str, Any]) -> None:
    client = boto3.client("s3", region_name=REGION)
    for logical_id, props in resources("AWS::S3::Bucket", template).items():
        queues = props.get("NotificationConfiguration", {}).get("QueueConfigurations", [])
        if not queues:
            continue
        client.put_bucket_notification_configuration(
            Bucket=found.physical[logical_id],
            NotificationConfiguration={
                "QueueConfigurations": [
                    {
                        "QueueArn": found.arns[entry["Queue"]["Fn::GetAtt"][0]],
                        "Events": [entry["Event"]],
                        "Filter": {
                            "Key": {"FilterRules": entry.get("Filter", {}).get("S3Key", {}).get("Rules", [])}
                        },
                    }
                    for entry in queues
                ]
            },
        )


def _create_pools(found: LocalResources, template: dict[str, Any]) -> None:
    client = boto3.client("cognito-idp", region_name=REGION)
    for logical_id, props in resources("AWS::Cognito::UserPool", template).items():
        pool = client.create_user_pool(
            PoolName=_physical_name(logical_id),
            UsernameAttributes=props.get("UsernameAttributes", []),
            Policies=props.get("Policies", {}),
            Schema=props.get("Schema", []),
        )["UserPool"]
        found.pools[logical_id] = found.physical[logical_id] = pool["Id"]
    for logical_id, props in resources("AWS::Cognito::UserPoolClient", template).items():
        pool_logical = props["UserPoolId"]["Ref"]
        app_client = client.create_user_pool_client(
            UserPoolId=found.pools[pool_logical],
            ClientName=_physical_name(logical_id),
            GenerateSecret=False,
            # Locally tokens are issued with the admin flow; on AWS the SPA signs in with SRP.
            ExplicitAuthFlows=[*props.get("ExplicitAuthFlows", []), "ALLOW_ADMIN_USER_PASSWORD_AUTH"],
        )["UserPoolClient"]
        found.clients[pool_logical] = found.physical[logical_id] = app_client["ClientId"]
    for props in resources("AWS::Cognito::UserPoolGroup", template).values():
        client.create_group(UserPoolId=found.pools[props["UserPoolId"]["Ref"]], GroupName=props["GroupName"])


def _create_secrets(found: LocalResources, template: dict[str, Any]) -> None:
    client = boto3.client("secretsmanager", region_name=REGION)
    for logical_id, props in resources("AWS::SecretsManager::Secret", template).items():
        length = int(props.get("GenerateSecretString", {}).get("PasswordLength", 64))
        arn = client.create_secret(
            Name=_physical_name(logical_id), SecretString=secrets.token_urlsafe(length)
        )["ARN"]
        found.physical[logical_id] = arn  # !Ref of a secret is its ARN


def _verify_mail_domain() -> None:
    # SES refuses to send from an unverified identity, on moto as on AWS.
    boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity=MAIL_DOMAIN)


def provision(template: dict[str, Any] | None = None) -> LocalResources:
    """Create every resource the functions use; boto3 must already point at moto."""
    data = template or load_template()
    found = LocalResources()
    _create_tables(found, data)
    _create_queues(found, data)
    _create_buckets(found, data)
    _connect_notifications(found, data)
    _create_pools(found, data)
    _create_secrets(found, data)
    _verify_mail_domain()
    return found
