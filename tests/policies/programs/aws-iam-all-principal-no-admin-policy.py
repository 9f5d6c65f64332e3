"""An IAM group with a read-only policy, or (violate) AdministratorAccess."""
# expect: attaches the administrator-level managed policy AdministratorAccess

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
KEY = "arn:aws:kms:us-east-1:123456789012:key/abcd"
name = "AdministratorAccess" if violate else "ReadOnlyAccess"
aws.iam.GroupPolicyAttachment("ops", group="ops", policy_arn=f"arn:aws:iam::aws:policy/{name}")
