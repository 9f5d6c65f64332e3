"""A role trusted by one account, or (violate) by everyone; built with get_policy_document."""
# expect: lets any AWS principal ('*') assume it

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
trust = aws.iam.get_policy_document(
    statements=[
        {
            "actions": ["sts:AssumeRole"],
            "principals": [
                {"type": "AWS", "identifiers": ["*" if violate else "arn:aws:iam::123456789012:root"]}
            ],
        }
    ]
)
aws.iam.Role("deploy", assume_role_policy=trust.json)
