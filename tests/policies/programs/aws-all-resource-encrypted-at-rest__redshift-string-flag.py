"""Redshift's `encrypted` input is a string: "true" passes, (violate) "false" fails."""
# expect: has encrypted false, so its data is stored unencrypted

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")
aws.redshift.Cluster(
    "dw",
    cluster_identifier="dw",
    node_type="ra3.xlplus",
    encrypted="false" if violate else "true",
    kms_key_id="arn:aws:kms:us-east-1:123456789012:key/abcd",
)
