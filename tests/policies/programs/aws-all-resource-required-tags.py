"""An SNS topic (absent from the old hand-written list) tagged through the provider's default_tags, or
(violate) missing cost-center. Counted once: the stack policy no longer repeats it."""
# expect: is missing the required tag cost-center

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
tags = {"owner": "platform", "environment": "staging"} | ({} if violate else {"cost-center": "cc-1"})
provider = aws.Provider("tagged", region="us-east-1", default_tags={"tags": tags})
aws.sns.Topic("events", kms_master_key_id=KEY, opts=pulumi.ResourceOptions(provider=provider))
