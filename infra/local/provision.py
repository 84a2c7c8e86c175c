"""Create the template's table, buckets and user pools on moto (server or in-process mock).

Everything is read from template.yaml, so the tests' and the local API's resources are the
deployed ones: same keys, indexes, TTL, pool attributes and groups.
"""

from __future__ import annotations

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


def _verify_mail_domain() -> None:
    # SES refuses to send from an unverified identity, on moto as on AWS.
    boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity=MAIL_DOMAIN)


def provision(template: dict[str, Any] | None = None) -> LocalResources:
    """Create every resource the functions use; boto3 must already point at moto."""
    data = template or load_template()
    found = LocalResources()
    _create_tables(found, data)
    _create_buckets(found, data)
    _create_pools(found, data)
    _verify_mail_domain()
    return found
