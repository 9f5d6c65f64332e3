"""Port 80 redirecting to HTTPS passes; (violate) a TLS 1.0 policy on the HTTPS listener fails."""
# expect: accepts TLS 1.0/1.1

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.lb.Listener(
    "redirect",
    load_balancer_arn="arn:lb",
    port=80,
    protocol="HTTP",
    default_actions=[
        {"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443", "status_code": "HTTP_301"}}
    ],
)
aws.lb.Listener(
    "web",
    load_balancer_arn="arn:lb",
    port=443,
    protocol="HTTPS",
    certificate_arn="arn:cert",
    ssl_policy="ELBSecurityPolicy-TLS-1-0-2015-04" if violate else "ELBSecurityPolicy-TLS13-1-2-2021-06",
    default_actions=[
        {"type": "fixed-response", "fixed_response": {"content_type": "text/plain", "status_code": "200"}}
    ],
)
