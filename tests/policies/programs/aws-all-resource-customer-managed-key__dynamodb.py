"""A DynamoDB table with a customer key, or (violate) the AWS-owned default."""
# expect: is encrypted with an AWS-owned key

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
sse = None if violate else {"enabled": True, "kms_key_arn": "arn:aws:kms:us-east-1:123456789012:key/abcd"}
aws.dynamodb.Table(
    "items",
    hash_key="id",
    attributes=[{"name": "id", "type": "S"}],
    billing_mode="PAY_PER_REQUEST",
    server_side_encryption=sse,
)
