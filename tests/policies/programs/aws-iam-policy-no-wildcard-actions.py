"""An IAM user's inline policy listing its actions, or (violate) allowing '*'."""

# expect: allows every action ('*') in its policy
import json

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.iam.UserPolicy(
    "ci",
    user="ci",
    policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*" if violate else "s3:GetObject", "Resource": "*"}],
        }
    ),
)
