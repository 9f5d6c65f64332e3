"""Deploy blockers of issue 14, read from each stack's offline plan: what `pulumi up` would be refused."""

from __future__ import annotations

import json

from offline_plan.document import PlanDocument
from tests.conftest import by_urn, of_type

SERVICE_LINKED_ROLE = "aws:iam/serviceLinkedRole:ServiceLinkedRole"


def _aws_principals(policy: str) -> set[str]:
    found: set[str] = set()
    for statement in json.loads(policy)["Statement"]:
        principal = statement.get("Principal", {}).get("AWS", [])
        found.update([principal] if isinstance(principal, str) else principal)
    return found


def test_kms_keys_name_the_autoscaling_role_only_after_creating_it(stack_plan: PlanDocument) -> None:
    """KMS refuses a key policy whose principal does not exist: the role is created before the key."""
    resources = by_urn(stack_plan)
    naming = [
        key
        for key in of_type(stack_plan, "aws:kms/key:Key")
        if any("/AWSServiceRoleForAutoScaling" in p for p in _aws_principals(key["inputs"]["policy"]))
    ]
    assert naming, "the EBS key lets EC2 Auto Scaling (managed node groups) use it"
    for key in naming:
        roles = [
            resources[urn] for urn in key["dependencies"] if resources[urn]["type"] == SERVICE_LINKED_ROLE
        ]
        assert [r["inputs"]["awsServiceName"] for r in roles] == ["autoscaling.amazonaws.com"], key["urn"]
        assert roles[0]["options"]["retainOnDelete"] is True  # account-wide: a destroy must not remove it
