"""A DR component whose bucket uses a us-west-2 provider passes; (violate) its provider is in the primary's
region us-east-1. No drRegion is configured: the regions come from the providers."""
# expect: a region the primary resources also use

import pulumi
import pulumi_aws as aws

violate = pulumi.Config("corpus").get_bool("violate")


class DisasterRecovery(pulumi.ComponentResource):
    def __init__(self, name: str) -> None:
        super().__init__("corpus:dr:DisasterRecovery", name)
        provider = aws.Provider(
            "dr", region="us-east-1" if violate else "us-west-2", opts=pulumi.ResourceOptions(parent=self)
        )
        aws.s3.Bucket("replica", opts=pulumi.ResourceOptions(parent=self, provider=provider))


aws.s3.Bucket("primary")
DisasterRecovery("dr")
