"""Manifests: autonamed objects carry the engine's name, and no two objects share a file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from tiny_programs import write_program

from offline_plan.cli import EXIT_PROGRAM_FAILED, main


def test_autonamed_objects_get_the_name_the_engine_gave_them(
    program: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_program(
        program,
        """
        import pulumi, pulumi_kubernetes as k8s
        first = k8s.core.v1.ConfigMap("settings", metadata={"namespace": "apps"}, data={"a": "1"})
        second = k8s.core.v1.ConfigMap("flags", metadata={"namespace": "apps"}, data={"b": "2"})
        pulumi.export("names", [first.metadata.name, second.metadata.name])
        """,
    )
    out = tmp_path / "out"
    assert main(["--stack", "dev", "--program", str(folder), "--out", str(out), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    names = document["outputs"]["names"]
    assert len(set(names)) == 2 and all(name.startswith(("settings-", "flags-")) for name in names)
    assert sorted(document["manifests"]) == sorted(f"manifests/apps/configmap-{name}.yaml" for name in names)
    for name in names:
        body = yaml.safe_load((out / "dev" / "manifests" / "apps" / f"configmap-{name}.yaml").read_text())
        assert body["metadata"]["name"] == name
    assert document["manifestProblems"] == []


def test_two_objects_with_one_manifest_path_are_an_error_naming_both(
    program: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_program(
        program,
        """
        import pulumi_kubernetes as k8s
        k8s.core.v1.ConfigMap("one", metadata={"name": "shared", "namespace": "apps"}, data={"a": "1"})
        k8s.core.v1.ConfigMap("two", metadata={"name": "shared", "namespace": "apps"}, data={"a": "2"})
        """,
    )
    assert (
        main(["--stack", "dev", "--program", str(folder), "--out", str(tmp_path / "out")])
        == EXIT_PROGRAM_FAILED
    )
    err = capsys.readouterr().err
    assert "kubernetes:core/v1:ConfigMap::one" in err and "kubernetes:core/v1:ConfigMap::two" in err
    assert "both declare ConfigMap 'shared' in namespace 'apps'" in err


def test_a_secret_whose_values_are_withheld_says_so(program: Path, tmp_path: Path) -> None:
    folder = write_program(
        program,
        """
        import pulumi, pulumi_kubernetes as k8s
        k8s.core.v1.Secret(
            "token",
            metadata={"name": "token", "namespace": "apps"},
            string_data=pulumi.Output.secret({"token": "OfflineCanaryValue"}),
        )
        """,
    )
    out = tmp_path / "out"
    assert main(["--stack", "dev", "--program", str(folder), "--out", str(out)]) == 0
    text = (out / "dev" / "manifests" / "apps" / "secret-token.yaml").read_text()
    body = yaml.safe_load(text)
    assert body["stringData"] == {}
    assert body["metadata"]["annotations"] == {"offline-plan/redacted-secret-fields": "stringData"}
    assert "OfflineCanaryValue" not in text


def test_objects_of_a_second_cluster_get_their_own_folder(
    program: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_program(
        program,
        """
        import pulumi, pulumi_kubernetes as k8s
        for cluster, count in (("main", 2), ("standby", 1)):
            provider = k8s.Provider(cluster, kubeconfig="{}")
            for index in range(count):
                k8s.core.v1.ConfigMap(
                    f"{cluster}-{index}",
                    metadata={"name": f"shared-{index}", "namespace": "apps"},
                    data={"cluster": cluster},
                    opts=pulumi.ResourceOptions(provider=provider),
                )
        """,
    )
    out = tmp_path / "out"
    assert main(["--stack", "dev", "--program", str(folder), "--out", str(out), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert sorted(document["manifests"]) == [
        "manifests/apps/configmap-shared-0.yaml",
        "manifests/apps/configmap-shared-1.yaml",
        "manifests/standby/apps/configmap-shared-0.yaml",
    ]
    standby = yaml.safe_load(
        (out / "dev" / "manifests" / "standby" / "apps" / "configmap-shared-0.yaml").read_text()
    )
    assert standby == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "shared-0", "namespace": "apps"},
        "data": {"cluster": "standby"},
    }
    assert document["manifestProblems"] == []
