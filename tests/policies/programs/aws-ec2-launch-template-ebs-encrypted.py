"""A launch template with an encrypted root volume, or (violate) an unencrypted one."""

# expect: leaves EBS volume /dev/xvda unencrypted
import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.ec2.LaunchTemplate(
    "lt",
    block_device_mappings=[
        {"device_name": "/dev/xvda", "ebs": {"encrypted": "false" if violate else "true", "kms_key_id": KEY}}
    ],
)
