"""CI reaches the private EKS API: CodeBuild-hosted runners in the cluster's subnets, the workflows that
run Pulumi use them, and the policy pack flags a private-only cluster nobody outside can deploy to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.components.ci_runner import runner_project_name
from infra.config import StackConfigError, parse_stack_config
from offline_plan.document import PlanDocument
from offline_plan.policy_check import LoadedPack, evaluate
from policies.aws.eks import cluster_reachable_from_deployer
from policies.registry import PACK_NAME
from tests.conftest import of_type

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
PULUMI_COMMANDS_NEEDING_THE_CLUSTER = {"up", "update", "preview", "refresh", "destroy"}
RUNNER_TYPES = {"aws:codebuild/project:Project", "aws:codebuild/webhook:Webhook"}


def _reachability(resources: list[dict[str, Any]], stack: str) -> list[str]:
    pack = LoadedPack(name=PACK_NAME, policies=[cluster_reachable_from_deployer])
    return [v.message for v in evaluate(pack, resources, None, stack, "memory-platform")]


# Each cluster's runner: the primary's, and in production the DR region's pilot light's (`-dr`).
CLUSTER_NAMES = {"staging": ["memory-staging"], "production": ["memory-production", "memory-production-dr"]}


def _runner_of(plan: PlanDocument, cluster: dict[str, Any]) -> dict[str, Any]:
    subnets = sorted(cluster["inputs"]["vpcConfig"]["subnetIds"])
    [project] = [
        p
        for p in of_type(plan, "aws:codebuild/project:Project")
        if sorted(p["inputs"]["vpcConfig"]["subnets"]) == subnets
    ]
    return project


def test_runner_project_runs_in_the_clusters_private_subnets_and_takes_workflow_jobs(
    stack_plan: PlanDocument,
) -> None:
    clusters = of_type(stack_plan, "aws:eks/cluster:Cluster")
    assert sorted(c["inputs"]["name"] for c in clusters) == CLUSTER_NAMES[stack_plan.stack]
    for cluster in clusters:
        project = _runner_of(stack_plan, cluster)
        assert project["inputs"]["name"] == runner_project_name(cluster["inputs"]["name"])
        assert project["inputs"]["source"]["auth"]["type"] == "CODECONNECTIONS"
        [webhook] = [
            w
            for w in of_type(stack_plan, "aws:codebuild/webhook:Webhook")
            if project["urn"] in w["propertyDependencies"]["projectName"]
        ]
        assert webhook["inputs"]["filterGroups"] == [
            {"filters": [{"type": "EVENT", "pattern": "WORKFLOW_JOB_QUEUED"}]}
        ]


def test_runners_may_reach_the_api_endpoint_on_443(stack_plan: PlanDocument) -> None:
    for cluster in of_type(stack_plan, "aws:eks/cluster:Cluster"):
        [runner_group] = _runner_of(stack_plan, cluster)["inputs"]["vpcConfig"]["securityGroupIds"]
        rules = [
            r
            for r in of_type(stack_plan, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
            if cluster["urn"] in r["propertyDependencies"]["securityGroupId"]  # the cluster's own group
        ]
        assert [
            (r["inputs"]["referencedSecurityGroupId"], r["inputs"]["fromPort"], r["inputs"]["toPort"])
            for r in rules
        ] == [(runner_group, 443, 443)]


def test_the_plan_passes_the_reachability_policy_and_fails_it_without_the_runner(
    stack_plan: PlanDocument,
) -> None:
    assert _reachability(stack_plan.resources, stack_plan.stack) == []
    without_runner = [r for r in stack_plan.resources if r["type"] not in RUNNER_TYPES]
    # The primary's private-only cluster; the DR one admits the primary runner's NAT addresses
    # (test_dr_region.py), which the policy accepts as a CIDR-limited public endpoint.
    [message] = _reachability(without_runner, stack_plan.stack)
    assert "private-only API endpoint" in message and "Kubernetes resource(s)" in message
    assert f"'memory-{stack_plan.stack}-cluster'" in message


def _pulumi_jobs() -> list[tuple[str, str, dict[str, Any]]]:
    jobs = []
    for workflow in WORKFLOWS:
        for name, job in yaml.safe_load(workflow.read_text())["jobs"].items():
            commands = {
                str(step.get("with", {}).get("command"))
                for step in job["steps"]
                if str(step.get("uses", "")).startswith("pulumi/actions@")
            }
            if commands & PULUMI_COMMANDS_NEEDING_THE_CLUSTER:
                jobs.append((workflow.name, name, job))
    return jobs


def test_every_job_running_pulumi_runs_on_its_stacks_in_vpc_runner() -> None:
    jobs = _pulumi_jobs()
    assert {f"{workflow}:{name}" for workflow, name, _ in jobs} >= {
        "release.yml:staging",
        "release.yml:production",
        "pull-request.yml:preview",
        "drift.yml:drift",
    }
    for workflow, name, job in jobs:
        include = job.get("strategy", {}).get("matrix", {}).get("include") or [{}]
        for matrix in include:
            stack = matrix.get("stack") or name
            label = str(job["runs-on"]).replace("${{ matrix.stack }}", stack)
            expected = f"codebuild-{runner_project_name(f'memory-{stack}')}-${{{{ github.run_id }}}}-"
            assert label == expected + "${{ github.run_attempt }}", (
                f"{workflow}:{name} ({stack}) runs on {label}"
            )


@pytest.mark.parametrize(
    ("runner", "problem"),
    [
        ({"repositoryUrl": "https://github.com/org/repo"}, "set together"),
        ({"repositoryUrl": "git@github.com:org/repo.git", "connectionArn": None}, "GitHub repository URL"),
        (
            {
                "repositoryUrl": "https://github.com/org/repo",
                "connectionArn": "arn:aws:iam::123456789012:role/x",
            },
            "CodeConnections ARN",
        ),
    ],
)
def test_bad_runner_config_is_named(runner: dict[str, Any], problem: str) -> None:
    values = {
        "environment": "staging",
        "tags": {"owner": "o", "cost-center": "c", "environment": "staging"},
        "ciRunner": runner,
    }
    with pytest.raises(StackConfigError) as raised:
        parse_stack_config(values, primary_region="eu-west-1", stack_file="Pulumi.test.yaml")
    [message] = raised.value.problems
    assert message.startswith("memory-platform:ciRunner") and problem in message
