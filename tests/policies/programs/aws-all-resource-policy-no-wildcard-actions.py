"""A KMS key policy granting kms:* to the account root (the AWS default) passes; (violate) '*'."""

# expect: allows every action of every service ('*')
import json

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
policy = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "*" if violate else "kms:*",
            "Resource": "*",
        }
    ],
}
aws.kms.Key("k", enable_key_rotation=True, policy=json.dumps(policy))
