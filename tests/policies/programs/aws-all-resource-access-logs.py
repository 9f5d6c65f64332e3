"""A load balancer with access logs, or (violate) without."""
# expect: keeps no access log

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.lb.LoadBalancer(
    "api", internal=True, subnets=["subnet-1"], access_logs={"bucket": "logs", "enabled": not violate}
)
