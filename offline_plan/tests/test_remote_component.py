"""Multi-language components are recorded with a warning; their inputs are never echoed as outputs."""

from __future__ import annotations

from pathlib import Path

from tiny_programs import plan_of, write_program

PROGRAM = """
import pulumi

class Cluster(pulumi.ComponentResource):
    # What pulumi_eks.Cluster does: its plugin's Construct builds the children.
    kubeconfig: pulumi.Output[str]
    vpc_id: pulumi.Output[str]

    def __init__(self, name, vpc_id):
        super().__init__("eks:index:Cluster", name, {"vpc_id": vpc_id, "kubeconfig": None}, None, remote=True)

cluster = Cluster("eks", "vpc-123")
pulumi.export("kubeconfig", cluster.kubeconfig)
pulumi.export("vpcId", cluster.vpc_id)
"""


def test_a_remote_component_is_recorded_with_unknown_outputs_and_a_warning(program: Path) -> None:
    plan = plan_of(write_program(program, PROGRAM))
    [component] = [r for r in plan.resources if r["type"] == "eks:index:Cluster"]
    assert component["remote"] is True
    assert component["inputs"] == {"vpc_id": "vpc-123"}
    assert plan.outputs == {"kubeconfig": "[unknown]", "vpcId": "[unknown]"}  # not its input echoed back
    [warning] = [w for w in plan.warnings if "multi-language" in w]
    assert component["urn"] in warning and "cannot run offline" in warning
