"""An inline all-traffic rule from the VPC, or (violate) from ::/0: '-1' reads "all traffic", not "ports 0-0"."""

# expect: allows all traffic from ::/0
import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
aws.ec2.SecurityGroup(
    "app",
    vpc_id="vpc-1",
    ingress=[
        {
            "protocol": "-1",
            "from_port": 0,
            "to_port": 0,
            "ipv6_cidr_blocks": ["::/0" if violate else "fd00::/8"],
        }
    ],
)
