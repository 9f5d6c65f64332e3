"""check_values on tiny charts written for each test: what Helm would silently ignore is reported."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import helm_python
import pytest

from offline_plan.chart_values import check_values

VALUES = """\
replicaCount: 1
image:
  repository: example/app
  tag: ""
# declared, but null by default
priorityClassName: null
# declared and null, read by no template here (as when a library helper reads it)
storageClassName: null
serviceAccount:
  create: true
  name: ""
podSecurityContext:
  runAsUser: 1000
resources: {}
# a documented free-form map
extraConfig: {}
global:
  registry: ""
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicaCount }}
  template:
    spec:
      {{- with .Values.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      securityContext: {{- toYaml .Values.podSecurityContext | nindent 8 }}
      {{- if .Values.metrics.serviceMonitor.enabled }}
      # read only here, never declared
      {{- end }}
      containers:
        - name: app
          image: {{ .Values.global.registry }}{{ .Values.image.repository }}:{{ .Values.image.tag }}
          resources: {{- toYaml .Values.resources | nindent 12 }}
          {{- include "app.probe" (dict "ctx" $ "probe" .Values.probe) | nindent 10 }}
"""

HELPERS = """\
{{- define "app.probe" -}}
{{- if .probe.enabled }}
livenessProbe:
  initialDelaySeconds: {{ .probe.delaySeconds }}
{{- end }}
{{- end -}}
"""


def write_chart(root: Path, name: str, *, values: str, templates: dict[str, str], extra: str = "") -> Path:
    chart = root / name
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n{extra}")
    (chart / "values.yaml").write_text(values)
    for file, text in templates.items():
        (chart / "templates" / file).write_text(text)
    return chart


@pytest.fixture
def chart(tmp_path: Path) -> helm_python.Chart:
    path = write_chart(
        tmp_path,
        "app",
        values=VALUES,
        templates={"deployment.yaml": DEPLOYMENT, "_helpers.tpl": HELPERS},
        extra=textwrap.dedent(
            """\
            dependencies:
              - name: cache
                version: 0.1.0
                alias: sessionCache
                condition: sessionCache.enabled
            """
        ),
    )
    write_chart(
        path / "charts",
        "cache",
        values="maxMemory: 64Mi\npersistence:\n  size: 1Gi\n",
        templates={"cm.yaml": "data: {{ .Values.maxMemory }} {{ .Values.global.registry }}\n"},
    )
    return helm_python.Chart.load(path)


def check(chart: helm_python.Chart, values: dict[str, Any]) -> list[str]:
    return check_values("shop-api", chart, values)


def test_the_charts_own_values_pass(chart: helm_python.Chart) -> None:
    assert (
        check(chart, {"replicaCount": 2, "image": {"tag": "1.0"}, "serviceAccount": {"create": False}}) == []
    )


def test_an_unknown_top_level_key_names_release_path_and_closest_key(chart: helm_python.Chart) -> None:
    [problem] = check(chart, {"replicaCont": 2})
    assert "shop-api" in problem
    assert "`replicaCont`" in problem
    assert "`replicaCount`" in problem


def test_a_nested_typo_names_the_full_path_and_its_closest_sibling(chart: helm_python.Chart) -> None:
    [problem] = check(chart, {"serviceAccount": {"nmae": "api"}})
    assert "shop-api" in problem
    assert "`serviceAccount.nmae`" in problem
    assert "`serviceAccount.name`" in problem


def test_a_key_declared_elsewhere_points_there(chart: helm_python.Chart) -> None:
    # The chart reads global.registry; a registry under image is ignored by Helm.
    [problem] = check(chart, {"image": {"registry": "r.example"}})
    assert "`image.registry`" in problem
    assert "`global.registry`" in problem


def test_a_null_valued_declared_key_passes(chart: helm_python.Chart) -> None:
    assert check(chart, {"priorityClassName": "high", "storageClassName": "gp3"}) == []


def test_a_key_read_only_by_a_template_passes(chart: helm_python.Chart) -> None:
    assert check(chart, {"metrics": {"serviceMonitor": {"enabled": True}}}) == []
    [problem] = check(chart, {"metrics": {"serviceMonitor": {"enable": True}}})
    assert "`metrics.serviceMonitor.enable`" in problem


def test_a_key_read_through_a_helper_given_a_sub_dict_passes(chart: helm_python.Chart) -> None:
    assert check(chart, {"probe": {"enabled": True, "delaySeconds": 5}}) == []
    [problem] = check(chart, {"probe": {"enabled": True, "delay": 5}})
    assert "`probe.delay`" in problem


def test_kubernetes_typed_and_free_form_subtrees_are_open(chart: helm_python.Chart) -> None:
    values = {
        "podSecurityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "resources": {"limits": {"memory": "1Gi"}, "requests": {"cpu": "100m"}},
        "extraConfig": {"any": {"thing": 1}},
    }
    assert check(chart, values) == []


def test_a_subcharts_keys_pass_under_its_alias_and_typos_there_are_caught(chart: helm_python.Chart) -> None:
    assert (
        check(
            chart, {"sessionCache": {"enabled": True, "maxMemory": "128Mi", "persistence": {"size": "2Gi"}}}
        )
        == []
    )
    [problem] = check(chart, {"sessionCache": {"persistence": {"sise": "2Gi"}}})
    assert "`sessionCache.persistence.sise`" in problem
    assert "`sessionCache.persistence.size`" in problem
    # Under the subchart's own name, which the alias replaces, nothing is read.
    [problem] = check(chart, {"cache": {"maxMemory": "128Mi"}})
    assert "`cache`" in problem


def test_a_schema_violation_is_reported(tmp_path: Path) -> None:
    path = write_chart(
        tmp_path, "strict", values="port: 80\n", templates={"svc.yaml": "port: {{ .Values.port }}\n"}
    )
    schema = {"type": "object", "properties": {"port": {"type": "integer", "minimum": 1}}}
    (path / "values.schema.json").write_text(json.dumps(schema))
    [problem] = check_values("edge", helm_python.Chart.load(path), {"port": "eighty"})
    assert "edge" in problem
    assert "values.schema.json" in problem
    assert "/port" in problem


def test_a_subcharts_schema_is_applied_under_its_alias(tmp_path: Path) -> None:
    path = write_chart(
        tmp_path,
        "parent",
        values="{}\n",
        templates={},
        extra="dependencies:\n  - name: child\n    version: 0.1.0\n    alias: kid\n",
    )
    child = write_chart(
        path / "charts", "child", values="size: 1\n", templates={"c.yaml": "{{ .Values.size }}\n"}
    )
    (child / "values.schema.json").write_text(json.dumps({"properties": {"size": {"type": "integer"}}}))
    [problem] = check_values("edge", helm_python.Chart.load(path), {"kid": {"size": "big"}})
    assert "`kid.size`" in problem
    assert "values.schema.json" in problem


def test_keys_of_a_dependency_the_chart_does_not_bundle_pass(tmp_path: Path) -> None:
    """A dependency dropped from the archive (or not fetched yet) cannot be checked; it is not flagged."""
    path = write_chart(
        tmp_path,
        "parent",
        values="port: 80\n",
        templates={"svc.yaml": "port: {{ .Values.port }}\n"},
        extra="dependencies:\n  - {name: database, version: 1.0.0, condition: db.enabled, alias: db}\n",
    )
    chart = helm_python.Chart.load(path)
    assert check_values("edge", chart, {"db": {"enabled": False, "auth": {"user": "x"}}}) == []
    [problem] = check_values("edge", chart, {"database": {"auth": {"user": "x"}}})
    assert "`database`" in problem


def test_a_security_context_merged_from_several_places_is_open(tmp_path: Path) -> None:
    """As loki's pods do: the first non-empty of the component's and the chart-wide security context."""
    template = """\
spec:
  {{- with (coalesce .Values.worker.securityContext .Values.securityContext) }}
  securityContext: {{- toYaml . | nindent 4 }}
  {{- end }}
"""
    path = write_chart(
        tmp_path,
        "merged",
        values="securityContext:\n  runAsUser: 1000\nworker:\n  securityContext: {}\n",
        templates={"pod.yaml": template},
    )
    values = {"securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}}
    assert check_values("edge", helm_python.Chart.load(path), values) == []
