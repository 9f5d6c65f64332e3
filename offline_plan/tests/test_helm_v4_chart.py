"""`kubernetes.helm.v4.Chart` expands offline into the objects its chart renders, named as the provider names them.

Each test packages a tiny chart into a Helm repository directory in tmp_path (as test_helm_releases
does) and plans a tiny program that installs it with `helm.v4.Chart`.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml
from test_helm_releases import (
    DEPLOYMENT,
    OPAQUE_OBJECT,
    REPO,
    SECRET_VALUE,
    make_chart,
    plan,
    restricted_pack,
)

from offline_plan.cli import EXIT_CHARTS, EXIT_POLICY_VIOLATION
from offline_plan.helm import SECRET_PLACEHOLDER

CHART = "kubernetes:helm.sh/v4:Chart"
HOOK = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-migrate
  annotations: {"helm.sh/hook": pre-install}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: "busybox:1.36"}]
"""
ROLE = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {{ .Release.Name }}-reader
rules: []
"""


def v4_program(root: Path, chart_args: str) -> Path:
    program = root / "program"
    program.mkdir(parents=True)
    (program / "Pulumi.yaml").write_text("name: webapp\nruntime: python\n")
    (program / "Pulumi.dev.yaml").write_text("config: {}\n")
    (program / "__main__.py").write_text(
        textwrap.dedent(
            f"""\
            import pulumi
            import pulumi_kubernetes as k8s

            chart = k8s.helm.v4.Chart("web", {chart_args})
            pulumi.export("objects", chart.resources.apply(len))
            """
        )
    )
    return program


PINNED = f'chart="web", version="1.0.0", namespace="shop", repository_opts={{"repo": "{REPO}"}}'


def test_a_v4_chart_expands_into_its_objects_named_as_the_provider_names_them(tmp_path: Path) -> None:
    repo = make_chart(
        tmp_path, templates={"deployment.yaml": DEPLOYMENT, "hook.yaml": HOOK, "role.yaml": ROLE}
    )
    program = v4_program(tmp_path, f'{PINNED}, name="shop", values={{"token": "abc"}}')

    code, document = plan(program, tmp_path / "out", repo)

    assert code == 0
    (chart,) = [r for r in document["resources"] if r["type"] == CHART]
    children = {r["type"]: r for r in document["resources"] if r.get("parent") == chart["urn"]}
    # helm template with hooks disabled: the pre-install Job is not among them.
    assert sorted(children) == [
        "kubernetes:apps/v1:Deployment",
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
    ]
    deployment = children["kubernetes:apps/v1:Deployment"]
    assert deployment["name"] == "web:shop/shop-web"  # <component name>:<namespace>/<object name>
    assert children["kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"]["name"] == "web:shop-reader"
    assert deployment["inputs"]["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] == "abc"
    manifest = tmp_path / "out/dev/manifests/shop/deployment-shop-web.yaml"
    assert yaml.safe_load(manifest.read_text())["metadata"]["namespace"] == "shop"
    assert document["outputs"] == {"objects": 2}  # the SDK's `resources` output: one reference per object
    assert not [w for w in document["warnings"] if "multi-language" in w]


def test_its_rendered_pods_meet_the_policy_pack(tmp_path: Path) -> None:
    repo = make_chart(tmp_path, templates={"deployment.yaml": DEPLOYMENT})
    pack = str(restricted_pack(tmp_path / "pack"))
    root_program = v4_program(tmp_path / "root", PINNED)
    compliant = v4_program(
        tmp_path / "ok", f'{PINNED}, values={{"podSecurityContext": {{"runAsNonRoot": True}}}}'
    )

    code, document = plan(root_program, tmp_path / "out", repo, "--policy-pack", pack)
    assert code == EXIT_POLICY_VIOLATION
    (violation,) = document["policyViolations"]
    assert violation["urn"].endswith(
        "kubernetes:helm.sh/v4:Chart$kubernetes:apps/v1:Deployment::web:shop/web-web"
    )
    assert plan(compliant, tmp_path / "out2", repo, "--policy-pack", pack)[0] == 0


def test_secret_values_render_as_placeholders_and_never_reach_the_plan(tmp_path: Path) -> None:
    repo = make_chart(tmp_path, templates={"deployment.yaml": DEPLOYMENT, "secret.yaml": OPAQUE_OBJECT})
    program = v4_program(tmp_path, f'{PINNED}, values={{"token": pulumi.Output.secret("{SECRET_VALUE}")}}')

    code, document = plan(program, tmp_path / "out", repo)

    assert code == 0
    (deployment,) = [r for r in document["resources"] if r["type"] == "kubernetes:apps/v1:Deployment"]
    assert (
        deployment["inputs"]["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"]
        == SECRET_PLACEHOLDER
    )
    assert any(r["type"] == "kubernetes:core/v1:Secret" for r in document["resources"])
    written = [path for path in (tmp_path / "out").rglob("*") if path.is_file()]
    assert not [path for path in written if SECRET_VALUE in path.read_text()]


def test_a_local_chart_path_renders_with_its_values_files(tmp_path: Path) -> None:
    make_chart(tmp_path, templates={"deployment.yaml": DEPLOYMENT})
    program = v4_program(
        tmp_path,
        'chart="./web", resource_prefix="", value_yaml_files=[pulumi.FileAsset("prod.yaml")],'
        ' values={"podSecurityContext": {"runAsNonRoot": True}}',
    )
    source = tmp_path / "src/1.0.0/web"
    (program / "web").symlink_to(source, target_is_directory=True)
    (program / "prod.yaml").write_text("token: from-file\npodSecurityContext: {runAsUser: 1000}\n")

    code, document = plan(program, tmp_path / "out", None)

    assert code == 0
    (deployment,) = [r for r in document["resources"] if r["type"] == "kubernetes:apps/v1:Deployment"]
    assert deployment["name"] == "default/web-web"  # release name = component name; prefix "" as given
    pod = deployment["inputs"]["spec"]["template"]["spec"]
    assert pod["securityContext"] == {"runAsUser": 1000, "runAsNonRoot": True}  # values over the file
    assert pod["containers"][0]["env"][0]["value"] == "from-file"


def test_a_values_key_the_chart_does_not_have_is_an_error(tmp_path: Path) -> None:
    repo = make_chart(tmp_path, templates={"deployment.yaml": DEPLOYMENT})
    program = v4_program(tmp_path, f'{PINNED}, values={{"podSecurityContex": {{"runAsUser": 1000}}}}')

    code, document = plan(program, tmp_path / "out", repo)

    assert code == EXIT_CHARTS
    (error,) = document["charts"]["errors"]
    assert "podSecurityContex" in error and "podSecurityContext" in error  # the key and the closest one


def test_a_pin_the_cache_cannot_verify_fails_in_ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    repo = make_chart(tmp_path, templates={"deployment.yaml": DEPLOYMENT})
    program = v4_program(tmp_path, PINNED.replace("1.0.0", "1.0.1"))

    code, document = plan(program, tmp_path / "out", repo)

    assert code == EXIT_CHARTS
    assert any(
        "web 1.0.1" in error and "which has web 1.0.0" in error for error in document["charts"]["errors"]
    )
    assert not [r for r in document["resources"] if r["type"] == "kubernetes:apps/v1:Deployment"]


def test_a_pin_the_cache_cannot_verify_warns_outside_ci(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    repo = make_chart(tmp_path, templates={"deployment.yaml": DEPLOYMENT})
    archive = repo / "web-1.0.0.tgz"
    archive.write_bytes(archive.read_bytes() + b"\0")  # tampered: its digest no longer matches the index

    code, document = plan(v4_program(tmp_path, PINNED), tmp_path / "out", repo)

    assert code == 0
    (warning,) = [w for w in document["warnings"] if "was not expanded" in w]
    assert "but the index says" in warning and "an error when CI=true" in warning
