"""Helm releases of any program are rendered from a chart cache and treated like the program's own objects.

Each test writes a tiny chart, packages it into a Helm repository directory (index.yaml + .tgz) and
plans a tiny Pulumi program that installs it with `helm.v3.Release`.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import helm_python
import pytest
import yaml

from offline_plan.charts import ChartCache, PinProblem
from offline_plan.cli import EXIT_CHARTS, EXIT_INVALID_MANIFESTS, EXIT_POLICY_VIOLATION, main
from offline_plan.helm import SECRET_PLACEHOLDER

REPO = "https://charts.example.test"
SECRET_VALUE = "hunter2-do-not-leak"

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      {{- with .Values.podSecurityContext }}
      securityContext: {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: web
          image: "nginx:1.27.0"
          env:
            - name: TOKEN_HINT
              value: {{ .Values.token | quote }}
"""
OPAQUE_OBJECT = """\
apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-token
stringData:
  token: {{ .Values.token | quote }}
"""
CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.test
spec:
  group: example.test
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size: {type: integer, minimum: 1}
"""
WIDGET = """\
apiVersion: example.test/v1
kind: Widget
metadata:
  name: {{ .Release.Name }}-widget
spec:
  {{- toYaml .Values.widget | nindent 2 }}
"""


def make_chart(
    root: Path, *, version: str = "1.0.0", templates: dict[str, str], crds: dict[str, str] | None = None
) -> Path:
    """A chart `web` at `version`, packaged into the Helm repository directory `root/repo`."""
    source = root / "src" / version / "web"
    (source / "templates").mkdir(parents=True)
    (source / "Chart.yaml").write_text(f"apiVersion: v2\nname: web\nversion: {version}\n")
    (source / "values.yaml").write_text("token: ''\npodSecurityContext: {}\nwidget: {size: 1}\n")
    for name, text in templates.items():
        (source / "templates" / name).write_text(text)
    for name, text in (crds or {}).items():
        (source / "crds").mkdir(exist_ok=True)
        (source / "crds" / name).write_text(text)
    repo = root / "repo"
    repo.mkdir(exist_ok=True)
    helm_python.package(source, destination=repo)
    helm_python.repo_index_generate(repo)
    return repo


def make_program(root: Path, *, version: str = "1.0.0", values: str = "{}") -> Path:
    program = root / "program"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: webapp\nruntime: python\n")
    (program / "Pulumi.dev.yaml").write_text("config: {}\n")
    (program / "__main__.py").write_text(
        textwrap.dedent(
            f"""\
            import pulumi
            import pulumi_kubernetes as k8s

            k8s.helm.v3.Release(
                "web",
                name="shop",
                chart="web",
                version="{version}",
                namespace="shop",
                repository_opts={{"repo": "{REPO}"}},
                values={values},
            )
            """
        )
    )
    return program


def plan(program: Path, out: Path, repo: Path | None, *extra: str) -> tuple[int, dict[str, Any]]:
    args = ["--stack", "dev", "--program", str(program), "--out", str(out), *extra]
    code = main([*args, "--charts", str(repo)] if repo else args)
    return code, json.loads((out / "dev" / "resources.json").read_text())


def restricted_pack(folder: Path) -> Path:
    """A one-policy pack: every Deployment's pods must run as non-root."""
    folder.mkdir()
    (folder / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (folder / "__main__.py").write_text(
        textwrap.dedent(
            """\
            from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy

            def non_root(args, report_violation):
                if args.resource_type != "kubernetes:apps/v1:Deployment":
                    return
                pod = args.props["spec"]["template"]["spec"]
                if (pod.get("securityContext") or {}).get("runAsNonRoot") is not True:
                    report_violation(f"{args.name} lets its pods run as root")

            PolicyPack(
                "restricted",
                enforcement_level=EnforcementLevel.MANDATORY,
                policies=[ResourceValidationPolicy(name="pods-non-root", description="d", validate=non_root)],
            )
            """
        )
    )
    return folder


def test_a_release_is_rendered_and_its_objects_written_like_the_programs_own(tmp_path: Path) -> None:
    repo = make_chart(tmp_path, templates={"deployment.yaml": DEPLOYMENT})
    code, document = plan(make_program(tmp_path), tmp_path / "out", repo)

    assert code == 0
    (release,) = document["charts"]["releases"]
    assert release["rendered"] is True
    assert release["kinds"] == {"Deployment": 1}
    assert release["digest"] == helm_python.digest(repo / "web-1.0.0.tgz")
    manifest = tmp_path / "out" / "dev" / "manifests" / "shop" / "shop" / "deployment-shop-web.yaml"
    assert release["manifests"] == [str(manifest.relative_to(tmp_path / "out" / "dev"))]
    body = yaml.safe_load(manifest.read_text())
    assert body["metadata"]["namespace"] == "shop"  # the release's namespace, as kubectl would apply it
    (rendered,) = document["charts"]["renderedResources"]
    assert rendered["type"] == "kubernetes:apps/v1:Deployment"
    assert rendered["renderedFrom"] == release["urn"]
    assert document["manifestProblems"] == []


def test_a_rendered_pod_that_breaks_restricted_is_flagged_by_the_pack(tmp_path: Path) -> None:
    repo = make_chart(tmp_path, templates={"deployment.yaml": DEPLOYMENT})
    pack = restricted_pack(tmp_path / "pack")
    code, document = plan(make_program(tmp_path), tmp_path / "out", repo, "--policy-pack", str(pack))

    assert code == EXIT_POLICY_VIOLATION
    (violation,) = document["policyViolations"]
    release_urn = document["charts"]["releases"][0]["urn"]
    assert violation["policy"] == "pods-non-root"
    assert violation["urn"] == document["charts"]["renderedResources"][0]["urn"]
    assert violation["urn"].startswith(release_urn.rsplit("::", 1)[0] + "$kubernetes:apps/v1:Deployment::")


def test_a_compliant_rendered_pod_passes_the_same_pack(tmp_path: Path) -> None:
    repo = make_chart(tmp_path, templates={"deployment.yaml": DEPLOYMENT})
    program = make_program(
        tmp_path, values='{"podSecurityContext": {"runAsNonRoot": True, "runAsUser": 1000}}'
    )
    code, document = plan(
        program, tmp_path / "out", repo, "--policy-pack", str(restricted_pack(tmp_path / "p"))
    )

    assert code == 0
    assert document["policyViolations"] == []


def test_a_custom_resource_that_breaks_its_crd_schema_is_reported(tmp_path: Path) -> None:
    repo = make_chart(tmp_path, templates={"widget.yaml": WIDGET}, crds={"widgets.yaml": CRD})
    program = make_program(tmp_path, values='{"widget": {"size": 0, "colour": "red"}}')
    code, document = plan(program, tmp_path / "out", repo)

    assert code == EXIT_INVALID_MANIFESTS
    assert document["charts"]["releases"][0]["kinds"] == {"CustomResourceDefinition": 1, "Widget": 1}
    problems = "\n".join(document["manifestProblems"])
    assert "widget-shop-widget.yaml: spec.size: 0 is less than the minimum of 1" in problems
    assert "'colour' was unexpected" in problems


def test_a_custom_resource_that_meets_its_crd_schema_passes(tmp_path: Path) -> None:
    repo = make_chart(tmp_path, templates={"widget.yaml": WIDGET}, crds={"widgets.yaml": CRD})
    code, document = plan(make_program(tmp_path, values='{"widget": {"size": 3}}'), tmp_path / "out", repo)

    assert code == 0
    assert document["manifestProblems"] == []


def test_secret_values_render_as_placeholders_and_rendered_secrets_are_redacted(tmp_path: Path) -> None:
    repo = make_chart(tmp_path, templates={"deployment.yaml": DEPLOYMENT, "secret.yaml": OPAQUE_OBJECT})
    program = make_program(tmp_path, values=f'{{"token": pulumi.Output.secret("{SECRET_VALUE}")}}')
    code, document = plan(program, tmp_path / "out", repo)

    assert code == 0
    release = document["charts"]["releases"][0]
    assert any("token" in note and SECRET_PLACEHOLDER in note for note in release["notes"])
    written = "".join(path.read_text() for path in (tmp_path / "out").rglob("*") if path.is_file())
    assert SECRET_VALUE not in written
    secret = yaml.safe_load((tmp_path / "out/dev/manifests/shop/shop/secret-shop-token.yaml").read_text())
    assert secret["stringData"] == {}
    deployment = yaml.safe_load(
        (tmp_path / "out/dev/manifests/shop/shop/deployment-shop-web.yaml").read_text()
    )
    assert deployment["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] == SECRET_PLACEHOLDER


def test_a_pin_the_cache_does_not_hold_warns_outside_ci(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    repo = make_chart(tmp_path, templates={"deployment.yaml": DEPLOYMENT})
    code, document = plan(make_program(tmp_path, version="1.0.1"), tmp_path / "out", repo)

    assert code == 0
    assert document["charts"]["releases"][0]["rendered"] is False
    (warning,) = [w for w in document["warnings"] if "not rendered" in w]
    assert "web 1.0.1" in warning
    assert "which has web 1.0.0" in warning


def test_a_pin_the_cache_does_not_hold_fails_in_ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    repo = make_chart(tmp_path, templates={"deployment.yaml": DEPLOYMENT})
    code, document = plan(make_program(tmp_path, version="1.0.1"), tmp_path / "out", repo)

    assert code == EXIT_CHARTS
    assert any("web 1.0.1" in error for error in document["charts"]["errors"])


def test_without_a_chart_cache_releases_are_left_unrendered_with_a_warning_in_ci_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CI strictness verifies pins against the cache it was given; no `--charts` asks for no rendering."""
    monkeypatch.setenv("CI", "true")
    code, document = plan(make_program(tmp_path, version="1.0.0"), tmp_path / "out", None)

    assert code == 0
    assert document["charts"]["releases"][0]["rendered"] is False
    assert document["charts"]["errors"] == []
    (warning,) = [w for w in document["warnings"] if "not rendered" in w]
    assert "--charts" in warning
    assert "CI=true" not in warning


def test_an_archive_that_does_not_match_its_index_digest_is_not_used(tmp_path: Path) -> None:
    repo = make_chart(tmp_path, templates={"deployment.yaml": DEPLOYMENT})
    archive = repo / "web-1.0.0.tgz"
    archive.write_bytes(archive.read_bytes() + b"\0")  # a tampered or truncated download

    located = ChartCache(repo).locate("web", "1.0.0", REPO)

    assert isinstance(located, PinProblem)
    assert "but the index says" in located.reason


@pytest.mark.parametrize("version", ["^1.0.0", "1.x", ""])
def test_a_version_range_is_not_a_verifiable_pin(tmp_path: Path, version: str) -> None:
    repo = make_chart(tmp_path, templates={"deployment.yaml": DEPLOYMENT})

    located = ChartCache(repo).locate("web", version, REPO)

    assert isinstance(located, PinProblem)


def test_a_chart_from_another_repository_than_its_provenance_is_not_used(tmp_path: Path) -> None:
    repo = make_chart(tmp_path, templates={"deployment.yaml": DEPLOYMENT})
    digest = helm_python.digest(repo / "web-1.0.0.tgz")
    (repo / "provenance.json").write_text(
        json.dumps({"charts": {"web-1.0.0": {"digest": digest, "upstreamRepository": REPO}}})
    )

    assert not isinstance(ChartCache(repo).locate("web", "1.0.0", REPO), PinProblem)
    located = ChartCache(repo).locate("web", "1.0.0", "https://elsewhere.example.test")
    assert isinstance(located, PinProblem)
    assert REPO in located.reason


def test_a_helm_v3_chart_expands_into_its_objects_like_a_config_group(tmp_path: Path) -> None:
    repo = make_chart(tmp_path, templates={"deployment.yaml": DEPLOYMENT})
    program = tmp_path / "program"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: webapp\nruntime: python\n")
    (program / "__main__.py").write_text(
        textwrap.dedent(
            f"""\
            from pulumi_kubernetes.helm.v3 import Chart, ChartOpts, FetchOpts

            Chart("shop", ChartOpts(chart="web", version="1.0.0", namespace="shop",
                                    fetch_opts=FetchOpts(repo="{REPO}")))
            """
        )
    )
    (program / "Pulumi.dev.yaml").write_text("config: {}\n")
    code, document = plan(program, tmp_path / "out", repo)

    assert code == 0
    children = [r for r in document["resources"] if r["type"] == "kubernetes:apps/v1:Deployment"]
    assert [child["inputs"]["metadata"]["name"] for child in children] == ["shop-web"]
    assert children[0]["parent"].endswith("kubernetes:helm.sh/v3:Chart::shop")
    assert (tmp_path / "out/dev/manifests/shop/deployment-shop-web.yaml").is_file()
    assert not [w for w in document["warnings"] if "kubernetes:helm:template" in w]


@pytest.mark.parametrize(("namespace", "expected"), [(None, "default"), ("shop", "shop")])
def test_a_release_status_carries_its_namespace(tmp_path: Path, namespace: str | None, expected: str) -> None:
    program = tmp_path / "program"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: webapp\nruntime: python\n")
    (program / "Pulumi.dev.yaml").write_text("config: {}\n")
    (program / "__main__.py").write_text(
        textwrap.dedent(
            f"""\
            import pulumi
            import pulumi_kubernetes as k8s

            release = k8s.helm.v3.Release("web", chart="web", version="1.0.0", namespace={namespace!r})
            pulumi.export("namespace", release.status.namespace.apply(lambda ns: ns.upper()))
            """
        )
    )
    code, document = plan(program, tmp_path / "out", None)

    assert code == 0
    assert document["outputs"]["namespace"] == expected.upper()


def test_a_rendered_list_is_applied_as_its_items(tmp_path: Path) -> None:
    listed = (
        "apiVersion: v1\nkind: List\nitems:\n"
        "  - {apiVersion: v1, kind: ConfigMap, metadata: {name: one}}\n"
        "  - {apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {name: two}, value: 10}\n"
    )
    repo = make_chart(tmp_path, templates={"list.yaml": listed})
    code, document = plan(make_program(tmp_path), tmp_path / "out", repo)

    assert code == 0
    assert document["charts"]["releases"][0]["kinds"] == {"ConfigMap": 1, "PriorityClass": 1}
    manifests = tmp_path / "out/dev/manifests/shop"
    assert (manifests / "shop/configmap-one.yaml").is_file()
    assert (manifests / "_cluster/priorityclass-two.yaml").is_file()


def test_values_that_are_one_secret_render_with_the_chart_defaults_and_say_so(tmp_path: Path) -> None:
    repo = make_chart(tmp_path, templates={"deployment.yaml": DEPLOYMENT})
    program = make_program(tmp_path, values=f'pulumi.Output.secret({{"token": "{SECRET_VALUE}"}})')
    code, document = plan(program, tmp_path / "out", repo)

    assert code == 0
    (release,) = document["charts"]["releases"]
    assert release["rendered"] is True
    assert any("one secret as a whole" in note for note in release["notes"])
    written = "".join(path.read_text() for path in (tmp_path / "out").rglob("*") if path.is_file())
    assert SECRET_VALUE not in written
