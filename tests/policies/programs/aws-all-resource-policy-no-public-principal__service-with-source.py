"""Near miss: a KMS key policy letting CloudWatch Logs use the key only for this account's log groups
(service principal + kms:EncryptionContext and aws:SourceAccount) passes; (violate) the same grant to '*'."""
# expect: allows any principal ('*') in statement logs

import json

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
statements = [
    {
        "Sid": "root",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Action": "kms:*",
        "Resource": "*",
    },
    {
        "Sid": "logs",
        "Effect": "Allow",
        "Principal": "*" if violate else {"Service": "logs.us-east-1.amazonaws.com"},
        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"],
        "Resource": "*",
        "Condition": {
            "ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:123456789012:*"}
        },
    },
]
aws.kms.Key(
    "logs", enable_key_rotation=True, policy=json.dumps({"Version": "2012-10-17", "Statement": statements})
)
