"""An HTTPS listener, or (violate) a plain HTTP one that forwards."""
# expect: serves plaintext HTTP without redirecting to HTTPS

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
action = [
    {
        "type": "forward",
        "target_group_arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app/1",
    }
]
if violate:
    aws.lb.Listener("web", load_balancer_arn="arn:lb", port=80, protocol="HTTP", default_actions=action)
else:
    aws.lb.Listener(
        "web",
        load_balancer_arn="arn:lb",
        port=443,
        protocol="HTTPS",
        ssl_policy="ELBSecurityPolicy-TLS13-1-2-2021-06",
        certificate_arn="arn:cert",
        default_actions=action,
    )
