"""A function URL behind IAM auth, or (violate) open to anyone."""
# expect: lets anyone on the internet invoke the function

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.lambda_.FunctionUrl("hook", function_name="hook", authorization_type="NONE" if violate else "AWS_IAM")
