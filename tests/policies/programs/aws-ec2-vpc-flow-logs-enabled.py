"""A VPC with flow logs, or (violate) without."""

# expect: has no aws:ec2/flowLog:FlowLog
import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
vpc = aws.ec2.Vpc("main", cidr_block="10.0.0.0/16")
if not violate:
    aws.ec2.FlowLog("main", vpc_id=vpc.id, traffic_type="ALL", log_destination="arn:aws:s3:::logs")
