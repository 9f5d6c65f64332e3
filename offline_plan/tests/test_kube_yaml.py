"""Kubernetes YAML declared through yaml.ConfigFile/ConfigGroup (v1, v2) and kustomize.Directory is planned.

Each test plans a tiny program written to tmp_path, as a user would with `offline-plan --program`.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from offline_plan import kube_yaml
from offline_plan.cli import EXIT_INVALID_MANIFESTS, EXIT_POLICY_VIOLATION, EXIT_PROGRAM_FAILED, main

APP = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
    - port: 80
"""


def write_program(folder: Path, program: str, files: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Pulumi.yaml").write_text("name: yamlapp\nruntime: python\n")
    (folder / "Pulumi.dev.yaml").write_text("config: {}\n")
    (folder / "__main__.py").write_text(textwrap.dedent(program))
    for name, text in (files or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(textwrap.dedent(text))
    return folder


def plan(
    tmp_path: Path, program: str, files: dict[str, str] | None = None, *extra: str
) -> tuple[int, dict[str, Any]]:
    project = write_program(tmp_path / "program", program, files)
    out = tmp_path / "out"
    code = main(["--stack", "dev", "--program", str(project), "--out", str(out), *extra])
    document_file = out / "dev" / "resources.json"
    return code, json.loads(document_file.read_text()) if document_file.is_file() else {}


def children(document: dict[str, Any], parent_type: str) -> dict[str, dict[str, Any]]:
    """`type name` -> record of every resource whose parent has `parent_type`."""
    parents = {r["urn"] for r in document["resources"] if r["type"] == parent_type}
    return {f"{r['type']} {r['name']}": r for r in document["resources"] if r["parent"] in parents}


def test_v1_config_group_inline_yaml_registers_each_object(tmp_path: Path) -> None:
    code, document = plan(
        tmp_path,
        f"""
        import pulumi
        from pulumi_kubernetes.yaml import ConfigGroup

        def three_replicas(obj, opts):
            if obj["kind"] == "Deployment":
                obj["spec"]["replicas"] = 3

        group = ConfigGroup("app", yaml=[{APP!r}], transformations=[three_replicas], resource_prefix="shop")
        deployment = group.get_resource("apps/v1/Deployment", "shop-web")
        pulumi.export("image", deployment.spec.template.spec.containers[0].image)
        """,
    )
    assert code == 0
    objects = children(document, "kubernetes:yaml:ConfigGroup")
    assert set(objects) == {"kubernetes:apps/v1:Deployment shop-web", "kubernetes:core/v1:Service shop-web"}
    assert objects["kubernetes:apps/v1:Deployment shop-web"]["inputs"]["spec"]["replicas"] == 3
    assert document["outputs"] == {"image": "nginx:1.27"}
    assert [invoke["token"] for invoke in document["invokes"]].count("kubernetes:yaml:decode") == 1
    manifest = yaml.safe_load(
        (tmp_path / "out" / "dev" / "manifests" / "_cluster" / "deployment-web.yaml").read_text()
    )
    assert manifest["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert "manifests/_cluster/service-web.yaml" in document["manifests"]


def test_v2_config_group_inline_yaml_registers_children_named_as_the_provider_names_them(
    tmp_path: Path,
) -> None:
    code, document = plan(
        tmp_path,
        f"""
        import pulumi
        from pulumi_kubernetes.yaml.v2 import ConfigGroup

        group = ConfigGroup("app", yaml={APP!r})
        pulumi.export("resources", group.resources.apply(lambda rs: pulumi.Output.all(*[r.urn for r in rs])))
        """,
    )
    assert code == 0
    objects = children(document, "kubernetes:yaml/v2:ConfigGroup")
    # provider/pkg/provider/yaml/v2/yaml.go: `<prefix>:<namespace>/<name>`, the prefix defaulting to the
    # component's name and the namespace to the provider's default namespace.
    assert set(objects) == {
        "kubernetes:apps/v1:Deployment app:default/web",
        "kubernetes:core/v1:Service app:default/web",
    }
    deployment = objects["kubernetes:apps/v1:Deployment app:default/web"]
    assert deployment["urn"].endswith(
        "::kubernetes:yaml/v2:ConfigGroup$kubernetes:apps/v1:Deployment::app:default/web"
    )
    assert deployment["custom"]
    assert deployment["provider"].startswith("urn:pulumi:dev::yamlapp::pulumi:providers:kubernetes::")
    assert deployment["inputs"]["spec"]["replicas"] == 2
    assert sorted(document["outputs"]["resources"]) == sorted(record["urn"] for record in objects.values())
    assert {"manifests/default/deployment-web.yaml", "manifests/default/service-web.yaml"} <= set(
        document["manifests"]
    )
    assert document["manifestProblems"] == []


@pytest.mark.parametrize(
    "component", ["pulumi_kubernetes.yaml.ConfigGroup", "pulumi_kubernetes.yaml.v2.ConfigGroup"]
)
def test_an_invalid_object_in_a_config_group_fails_schema_validation(tmp_path: Path, component: str) -> None:
    module, cls = component.rsplit(".", 1)
    text = APP.replace("replicas: 2", 'replicas: "two"')
    yaml_arg = f"[{text!r}]" if module.endswith("yaml") else repr(text)
    code, document = plan(tmp_path, f"from {module} import {cls}\n{cls}('app', yaml={yaml_arg})\n")
    assert code == EXIT_INVALID_MANIFESTS
    [problem] = document["manifestProblems"]
    assert "deployment-web.yaml: spec.replicas:" in problem
    assert "'two'" in problem


CRD_AND_LIST = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: blue
spec:
  size: 3
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: settings, namespace: shop}
    data: {mode: fast}
  - apiVersion: v1
    kind: Secret
    metadata: {name: creds, namespace: shop}
    stringData: {password: hunter2-in-yaml}
"""


def test_config_files_from_disk_expand_lists_and_custom_resources(tmp_path: Path) -> None:
    # One program each: both declaring the same objects would write one manifest twice (an error).
    code, document = plan(
        tmp_path / "v1",
        """
        from pulumi_kubernetes.yaml import ConfigFile
        ConfigFile("v1", file="k8s/widgets.yaml")
        """,
        {"k8s/widgets.yaml": CRD_AND_LIST},
    )
    assert code == 0
    v1 = children(document, "kubernetes:yaml:ConfigFile")
    assert set(v1) == {
        "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition widgets.example.com",
        "kubernetes:example.com/v1:Widget blue",
        "kubernetes:core/v1:ConfigMap shop/settings",
        "kubernetes:core/v1:Secret shop/creds",
    }
    code, document = plan(
        tmp_path,
        """
        from pulumi_kubernetes.yaml.v2 import ConfigFile as ConfigFileV2
        ConfigFileV2("v2", file="k8s/widgets.yaml", resource_prefix="")
        """,
        {"k8s/widgets.yaml": CRD_AND_LIST},
    )
    assert code == 0
    v2 = children(document, "kubernetes:yaml/v2:ConfigFile")
    assert set(v2) == {
        "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition widgets.example.com",
        "kubernetes:example.com/v1:Widget default/blue",  # namespaced, as its CRD in the same file says
        "kubernetes:core/v1:ConfigMap shop/settings",
        "kubernetes:core/v1:Secret shop/creds",
    }
    widget = v2["kubernetes:example.com/v1:Widget default/blue"]
    assert widget["inputs"]["spec"] == {"size": 3}
    crd_urn = v2["kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition widgets.example.com"]["urn"]
    assert widget["dependencies"] == [crd_urn]
    out = tmp_path / "out" / "dev"
    assert "manifests/default/widget-blue.yaml" in document["manifests"]
    written = (out / "resources.json").read_text() + "".join(p.read_text() for p in out.rglob("*.yaml"))
    assert "hunter2-in-yaml" not in written  # a Secret's data from YAML never reaches a plan file


def test_url_sources_are_named_in_warnings_and_left_out(tmp_path: Path) -> None:
    code, document = plan(
        tmp_path,
        """
        from pulumi_kubernetes.yaml import ConfigFile
        from pulumi_kubernetes.yaml.v2 import ConfigGroup
        from pulumi_kubernetes.kustomize.v2 import Directory

        ConfigFile("v1", file="https://example.com/v1.yaml")
        ConfigGroup("v2", files=["https://example.com/v2.yaml"])
        Directory("kz", directory="https://github.com/kubernetes-sigs/kustomize//examples/helloWorld")
        """,
    )
    assert code == 0
    for url in (
        "https://example.com/v1.yaml",
        "https://example.com/v2.yaml",
        "https://github.com/kubernetes-sigs",
    ):
        assert any(url in warning and "fetches nothing" in warning for warning in document["warnings"]), url
    assert not [
        r
        for r in document["resources"]
        if r["type"].startswith("kubernetes:") and r["custom"] and not r["type"].startswith("pulumi:")
    ]


def test_an_object_without_a_name_fails_the_plan_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = plan(
        tmp_path,
        """
        from pulumi_kubernetes.yaml.v2 import ConfigGroup
        ConfigGroup("app", objs=[{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}])
        """,
    )
    assert code == EXIT_PROGRAM_FAILED
    err = capsys.readouterr().err
    assert "ConfigGroup app: Kubernetes resources require a .metadata.name" in err
    assert "ConfigMap" in err


def test_declared_objects_meet_the_policy_pack(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (pack / "__main__.py").write_text(
        textwrap.dedent("""
        from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy

        def pinned(args, report_violation):
            if args.resource_type == "kubernetes:apps/v1:Deployment":
                for container in args.props["spec"]["template"]["spec"]["containers"]:
                    if container["image"].endswith(":latest"):
                        report_violation(f"{args.name} runs an unpinned image")

        PolicyPack("tiny", enforcement_level=EnforcementLevel.MANDATORY, policies=[
            ResourceValidationPolicy(name="pinned-images", description="images are pinned", validate=pinned)])
        """)
    )
    code, document = plan(
        tmp_path,
        f"""
        from pulumi_kubernetes.yaml.v2 import ConfigGroup
        ConfigGroup("app", yaml={APP.replace("nginx:1.27", "nginx:latest")!r})
        """,
        None,
        "--policy-pack",
        str(pack),
    )
    assert code == EXIT_POLICY_VIOLATION
    [violation] = document["policyViolations"]
    assert "app:default/web runs an unpinned image" in json.dumps(violation)


def test_v2_children_take_the_namespace_and_the_provider_of_their_component(tmp_path: Path) -> None:
    code, document = plan(
        tmp_path,
        f"""
        import pulumi
        import pulumi_kubernetes as k8s
        from pulumi_kubernetes.yaml.v2 import ConfigGroup

        apps = k8s.Provider("apps", namespace="apps")
        ConfigGroup("app", yaml={APP!r}, skip_await=True, opts=pulumi.ResourceOptions(provider=apps))
        """,
    )
    assert code == 0
    objects = children(document, "kubernetes:yaml/v2:ConfigGroup")
    assert set(objects) == {
        "kubernetes:apps/v1:Deployment app:apps/web",
        "kubernetes:core/v1:Service app:apps/web",
    }
    provider = next(r for r in document["resources"] if r["type"] == "pulumi:providers:kubernetes")
    for record in objects.values():
        assert record["provider"].startswith(provider["urn"] + "::")
        assert record["inputs"]["metadata"]["annotations"] == {"pulumi.com/skipAwait": "true"}
    assert "manifests/apps/deployment-web.yaml" in document["manifests"]


def test_secret_yaml_keeps_its_values_out_of_the_plan_files(tmp_path: Path) -> None:
    config_map = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dsn}\ndata: {url: 'postgres://u:pw-in-yaml@db'}\n"
    )
    code, document = plan(
        tmp_path,
        f"""
        import pulumi
        from pulumi_kubernetes.yaml.v2 import ConfigGroup
        ConfigGroup("app", yaml=pulumi.Output.secret({config_map!r}))
        """,
    )
    assert code == 0
    [record] = children(document, "kubernetes:yaml/v2:ConfigGroup").values()
    assert record["name"] == "app:default/dsn"
    assert record["inputs"]["data"] == {"url": "[secret]"}
    assert document["manifestProblems"] == []
    out = tmp_path / "out" / "dev"
    written = (out / "resources.json").read_text() + "".join(p.read_text() for p in out.rglob("*.yaml"))
    assert "pw-in-yaml" not in written


class _Registry:
    """Stands in for the recording monitor: counts registrations and keeps warnings."""

    def __init__(self) -> None:
        self.registered: list[str] = []
        self.warnings: list[str] = []

    def provider_inputs(self, reference: str) -> dict[str, Any]:
        return {}

    def config_value(self, key: str) -> str | None:
        return None

    def kubernetes_provider(self, request: Any) -> str:
        return ""

    def register_child(
        self, parent: str, type_: str, name: str, body: dict[str, Any], **_: Any
    ) -> tuple[str, str]:
        self.registered.append(name)
        return f"{parent}${name}", name

    def warn(self, message: str) -> None:
        self.warnings.append(message)


def test_a_component_with_unknown_inputs_warns_and_registers_nothing() -> None:
    registry = _Registry()
    request = type("Request", (), {"type": "kubernetes:yaml/v2:ConfigGroup", "name": "app"})()
    unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the SDK's unknown value on the wire
    outputs = kube_yaml.expand_component(registry, request, "urn:app", {"yaml": unknown})
    assert outputs == {"resources": []}
    assert registry.registered == []
    [warning] = registry.warnings
    assert "ConfigGroup app: input properties have unknown values" in warning


def test_a_custom_resource_of_unknown_scope_is_planned_without_a_namespace_and_named(tmp_path: Path) -> None:
    monitor = "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: web}\nspec: {}\n"
    code, document = plan(
        tmp_path,
        f"""
        from pulumi_kubernetes.yaml.v2 import ConfigGroup
        ConfigGroup("app", yaml={monitor!r})
        """,
    )
    assert code == 0
    [record] = children(document, "kubernetes:yaml/v2:ConfigGroup").values()
    assert record["name"] == "app:web"
    assert "namespace" not in record["inputs"]["metadata"]
    assert any(
        "monitoring.coreos.com/v1/ServiceMonitor" in warning and "CustomResourceDefinition" in warning
        for warning in document["warnings"]
    )


def test_an_object_declared_twice_fails_the_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = plan(
        tmp_path,
        f"""
        from pulumi_kubernetes.yaml.v2 import ConfigGroup
        service = {{"apiVersion": "v1", "kind": "Service", "metadata": {{"name": "web"}}}}
        ConfigGroup("app", yaml={APP!r}, objs=[service])
        """,
    )
    assert code == EXIT_PROGRAM_FAILED
    assert "kubernetes:core/v1:Service app:default/web is declared twice" in capsys.readouterr().err
