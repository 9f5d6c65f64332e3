"""A plain EC2 instance requiring IMDSv2 with hop limit 1, or (violate) hop limit 2."""

# expect: has metadataOptions.httpPutResponseHopLimit 2, above 1
import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.ec2.Instance(
    "vm",
    ami="ami-123",
    instance_type="t3.micro",
    metadata_options={"http_tokens": "required", "http_put_response_hop_limit": 2 if violate else 1},
)
