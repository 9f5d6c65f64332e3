"""Kustomize directories (v1 `kustomize.Directory`, v2 `kustomize.v2.Directory`) are planned.

Built by `kubectl kustomize` where it is installed, else by the built-in subset, which must agree with it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_kube_yaml import APP, children, plan

from offline_plan import kube_yaml

KUSTOMIZATION = {
    "k/base/kustomization.yaml": "resources: [app.yaml]\n",
    "k/base/app.yaml": APP,
    "k/overlay/kustomization.yaml": (
        "resources: [../base]\nnamespace: shop\nnamePrefix: blue-\n"
        "images:\n  - {name: nginx, newTag: '1.29'}\n"
    ),
}


def test_kustomize_directories_apply_namespace_and_name_prefix(tmp_path: Path) -> None:
    # One program each: both declaring the same objects would write one manifest twice (an error).
    code, document = plan(
        tmp_path / "v1",
        'from pulumi_kubernetes.kustomize import Directory\nDirectory("v1", directory="k/overlay")\n',
        KUSTOMIZATION,
    )
    assert code == 0
    assert set(children(document, "kubernetes:kustomize:Directory")) == {
        "kubernetes:apps/v1:Deployment shop/blue-web",
        "kubernetes:core/v1:Service shop/blue-web",
    }
    code, document = plan(
        tmp_path,
        'from pulumi_kubernetes.kustomize.v2 import Directory\nDirectory("v2", directory="k/overlay")\n',
        KUSTOMIZATION,
    )
    assert code == 0
    v2 = children(document, "kubernetes:kustomize/v2:Directory")
    assert set(v2) == {
        "kubernetes:apps/v1:Deployment v2:shop/blue-web",
        "kubernetes:core/v1:Service v2:shop/blue-web",
    }
    pod = v2["kubernetes:apps/v1:Deployment v2:shop/blue-web"]["inputs"]["spec"]["template"]["spec"]
    assert pod["containers"][0]["image"] == "nginx:1.29"
    assert "manifests/shop/deployment-blue-web.yaml" in document["manifests"]


RICH_BASE = """\
apiVersion: v1
kind: Namespace
metadata: {name: base-ns}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: blue}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {mode: fast}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: web}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: reader}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
subjects: [{kind: ServiceAccount, name: web, namespace: base-ns}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: elsewhere}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      containers:
        - name: web
          image: nginx:1.25
          envFrom: [{configMapRef: {name: settings}}]
      volumes: [{name: s, configMap: {name: settings}}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}
"""

RICH_OVERLAY = """\
resources: [../base]
namespace: shop
namePrefix: p-
nameSuffix: -s
commonLabels: {team: blue}
commonAnnotations: {owner: platform}
labels:
  - pairs: {tier: web}
images:
  - {name: nginx, newTag: "1.29"}
"""


def test_the_builtin_kustomize_subset_matches_kubectl_and_names_what_it_skips(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "overlay").mkdir()
    (tmp_path / "base" / "kustomization.yaml").write_text("resources: [all.yaml]\n")
    (tmp_path / "base" / "all.yaml").write_text(RICH_BASE)
    (tmp_path / "overlay" / "kustomization.yaml").write_text(RICH_OVERLAY + "replicas: []\n")
    warnings: list[str] = []
    subset = kube_yaml.kustomize_build(str(tmp_path / "overlay"), warnings, kubectl=None)
    by_kind = {obj["kind"]: obj for obj in subset}
    assert by_kind["Namespace"]["metadata"]["name"] == "shop"  # kustomize renames the Namespace itself
    assert by_kind["CustomResourceDefinition"]["metadata"]["name"] == "widgets.example.com"
    assert (by_kind["Widget"]["metadata"]["namespace"], by_kind["Widget"]["metadata"]["name"]) == (
        "shop",
        "p-blue-s",
    )
    pod = by_kind["Deployment"]["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "p-web-s"
    assert pod["containers"][0]["envFrom"] == [{"configMapRef": {"name": "p-settings-s"}}]
    assert pod["containers"][0]["image"] == "nginx:1.29"
    assert by_kind["ClusterRoleBinding"]["roleRef"]["name"] == "p-reader-s"
    assert any("'replicas' is not implemented" in warning for warning in warnings)
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed; the subset is checked on its own")
    real = kube_yaml.kustomize_build(str(tmp_path / "overlay"), [], kubectl=shutil.which("kubectl"))
    key = lambda o: (o["kind"], o["metadata"]["name"])  # noqa: E731
    assert sorted(subset, key=key) == sorted(real, key=key)
