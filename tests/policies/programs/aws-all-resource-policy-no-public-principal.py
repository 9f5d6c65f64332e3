"""An S3 bucket policy granting one account, or (violate) Principal '*' -- the statement itself is read."""

# expect: allows any principal ('*') in statement
import json

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
principal = "*" if violate else {"AWS": "arn:aws:iam::123456789012:root"}
aws.s3.BucketPolicy(
    "b",
    bucket="b",
    policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": principal,
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::b/*",
                }
            ],
        }
    ),
)
