"""A primary failover record with a health check, or (violate) without."""
# expect: is a PRIMARY failover record without healthCheckId

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.route53.Record(
    "api",
    zone_id="Z1",
    name="api.example.com",
    type="CNAME",
    ttl=60,
    records=["a.example.com"],
    set_identifier="primary",
    failover_routing_policies=[{"type": "PRIMARY"}],
    health_check_id=None if violate else "hc-1",
)
