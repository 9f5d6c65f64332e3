"""A backup plan keeping 30 days, or (violate) 3."""
# expect: deletes recovery points after 3 days

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.backup.Plan(
    "p",
    rules=[
        {
            "rule_name": "daily",
            "target_vault_name": "v",
            "schedule": "cron(0 5 * * ? *)",
            "lifecycle": {"delete_after": 3 if violate else 30},
        }
    ],
)
