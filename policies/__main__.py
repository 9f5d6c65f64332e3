"""Policy pack entry point: the policy host runs this folder (``runpy.run_path``) and the PolicyPack
constructor serves the policies over gRPC to ``pulumi preview --policy-pack policies``."""

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.registry import ALL_POLICIES, PACK_NAME

PolicyPack(
    name=PACK_NAME,
    policies=ALL_POLICIES,
    enforcement_level=EnforcementLevel.ADVISORY,
    description="AWS, Kubernetes and stack policies for the memory platform.",
)
