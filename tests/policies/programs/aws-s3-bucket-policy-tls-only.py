"""A bucket policy denying plain HTTP, or (violate) one that does not."""

# expect: does not deny s3:* when aws:SecureTransport is false
import json

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
doc = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ],
}
if violate:
    doc["Statement"][0]["Condition"] = {"Bool": {"aws:ViaAWSService": "false"}}
aws.s3.BucketPolicy("b", bucket="b", policy=json.dumps(doc))
