"""Tags from the default provider's aws:defaultTags config count; (violate) an IAM user without them."""
# config: aws:defaultTags: {"tags": {"owner": "platform", "cost-center": "cc-1", "environment": "staging"}}
# expect: is missing the required tags owner, cost-center, environment

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
provider = aws.Provider("bare", region="us-east-1")
aws.iam.User("ci", opts=pulumi.ResourceOptions(provider=provider) if violate else None)
