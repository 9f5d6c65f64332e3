"""Redis failing over across AZs, or (violate) not."""

# expect: has multiAzEnabled unset or false
import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.elasticache.ReplicationGroup(
    "cache",
    description="cache",
    node_type="cache.t4g.small",
    at_rest_encryption_enabled=True,
    kms_key_id=KEY,
    transit_encryption_enabled=True,
    transit_encryption_mode="required",
    auth_token=pulumi.Output.secret("token-from-config-0123456789"),
    subnet_group_name="private",
    security_group_ids=["sg-1"],
    automatic_failover_enabled=True,
    multi_az_enabled=not violate,
    num_cache_clusters=2,
    snapshot_retention_limit=7,
)
