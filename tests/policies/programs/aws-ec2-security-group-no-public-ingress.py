"""SSH from the VPC, or (violate) from 0.0.0.0/0, through a classic ec2.SecurityGroupRule."""

# expect: allows TCP port 22 from 0.0.0.0/0
import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
group = aws.ec2.SecurityGroup("bastion", vpc_id="vpc-1")
aws.ec2.SecurityGroupRule(
    "ssh",
    type="ingress",
    security_group_id=group.id,
    protocol="tcp",
    from_port=22,
    to_port=22,
    cidr_blocks=["0.0.0.0/0" if violate else "10.0.0.0/16"],
)
