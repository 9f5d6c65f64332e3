"""A CloudFront distribution redirecting viewers to HTTPS, or (violate) allowing plain HTTP."""
# expect: serves the default behavior over plain HTTP (viewerProtocolPolicy allow-all)

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
aws.cloudfront.Distribution(
    "cdn",
    enabled=True,
    origins=[
        {
            "domain_name": "origin.example.com",
            "origin_id": "origin",
            "custom_origin_config": {
                "http_port": 80,
                "https_port": 443,
                "origin_protocol_policy": "https-only",
                "origin_ssl_protocols": ["TLSv1.2"],
            },
        }
    ],
    default_cache_behavior={
        "target_origin_id": "origin",
        "viewer_protocol_policy": "allow-all" if violate else "redirect-to-https",
        "allowed_methods": ["GET", "HEAD"],
        "cached_methods": ["GET", "HEAD"],
        "cache_policy_id": "658327ea-f89d-4fab-a63d-7e88639e58f6",
    },
    restrictions={"geo_restriction": {"restriction_type": "none"}},
    viewer_certificate={
        "acm_certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/1",
        "ssl_support_method": "sni-only",
        "minimum_protocol_version": "TLSv1.2_2021",
    },
)
