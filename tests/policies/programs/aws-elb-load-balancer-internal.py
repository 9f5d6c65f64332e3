"""An internal ALB, or (violate) an internet-facing one."""
# expect: is internet-facing

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.lb.LoadBalancer(
    "api", internal=not violate, subnets=["subnet-1"], access_logs={"bucket": "logs", "enabled": True}
)
