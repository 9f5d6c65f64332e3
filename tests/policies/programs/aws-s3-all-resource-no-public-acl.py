"""An object with a private ACL, or (violate) public-read."""
# expect: grants the canned ACL public-read

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.s3.BucketObjectv2(
    "index", bucket="site", key="index.html", content="hi", acl="public-read" if violate else "private"
)
