"""Kustomizations: `kubectl kustomize` where installed, else a built-in subset that warns."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from offline_plan.kube_yaml.objects import (
    _KUSTOMIZATION_FILES,
    KubeYamlError,
    flatten,
    is_namespaced,
    is_url,
    parse_documents,
    url_warning,
)


# -- kustomize ---------------------------------------------------------------------------------------
def kustomize_build(
    directory: str, warnings: list[str], *, kubectl: str | None = "auto"
) -> list[dict[str, Any]]:
    """`kustomize build` of a local directory: kubectl's kustomize where installed, else the subset."""
    path = Path(directory)
    if not path.is_dir():
        raise KubeYamlError(f"kustomize: {directory} is not a directory (relative to {os.getcwd()})")
    binary = shutil.which("kubectl") if kubectl == "auto" else kubectl
    if binary:
        result = subprocess.run(  # noqa: S603 - a fixed argument list, no shell
            [binary, "kustomize", "--load-restrictor=LoadRestrictionsNone", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise KubeYamlError(f"kustomize build error in {directory}: {result.stderr.strip()}")
        return parse_documents(result.stdout, f"kustomize build {directory}")
    return _build_subset(path, warnings)


SUBSET_FIELDS = frozenset(
    {
        "apiVersion",
        "kind",
        "resources",
        "bases",
        "namespace",
        "namePrefix",
        "nameSuffix",
        "commonLabels",
        "labels",
        "commonAnnotations",
        "images",
    }
)
_NO_PREFIX = frozenset({"Namespace", "CustomResourceDefinition"})
_TEMPLATED = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController"}
)


def _build_subset(directory: Path, warnings: list[str]) -> list[dict[str, Any]]:
    """The documented kustomization fields the offline plan implements; any other is named in a warning."""
    file = next((directory / name for name in _KUSTOMIZATION_FILES if (directory / name).is_file()), None)
    if file is None:
        raise KubeYamlError(
            f"kustomize: {directory} has no kustomization.yaml (nor kustomization.yml or Kustomization)"
        )
    kustomization = yaml.safe_load(file.read_text()) or {}
    for key in sorted(set(kustomization) - SUBSET_FIELDS):
        warnings.append(
            f"{file}: '{key}' is not implemented by the offline kustomize subset (kubectl is not installed), "
            "so its effect is missing from the plan; install kubectl for a full build"
        )
    objects = _resources(file, kustomization, warnings)
    if (kustomization.get("namePrefix") or kustomization.get("nameSuffix")) and len(objects) > 1:
        warnings.append(
            f"{file}: namePrefix/nameSuffix rename the objects; the offline subset rewrites references to "
            "them from pod specs, RBAC bindings, StatefulSet serviceName and Ingress backends only; "
            "install kubectl for a full build"
        )
    before = [(str(obj.get("kind")), str((obj.get("metadata") or {}).get("name"))) for obj in objects]
    for obj in objects:
        _transform(obj, kustomization, objects)
    renamed = {
        old: (obj["metadata"]["name"], obj["metadata"].get("namespace"))
        for old, obj in zip(before, objects, strict=True)
        if old[1] != obj["metadata"]["name"]
    }

    def new_name(kind: str, name: str, namespace: str | None = None) -> str:
        target = renamed.get((kind, name))
        if target is None or (namespace is not None and namespace != target[1]):
            return name  # kustomize renames a reference only to an object in the same namespace
        return str(target[0])

    for obj in objects:
        _rename_references(obj, new_name)
    return objects


def _rename_references(obj: dict[str, Any], new: Callable[..., str]) -> None:
    """kustomize's nameReference for the references programs use most."""

    def rename(holder: Any, key: str, kind: str) -> None:
        if isinstance(holder, dict) and isinstance(holder.get(key), str):
            holder[key] = new(kind, holder[key])

    kind = obj.get("kind")
    spec: dict[str, Any] = obj["spec"] if isinstance(obj.get("spec"), dict) else {}
    pod: dict[str, Any] = spec if kind == "Pod" else ((_template(obj) or {}).get("spec") or {})
    for volume in pod.get("volumes") or []:
        rename(volume.get("configMap"), "name", "ConfigMap")
        rename(volume.get("secret"), "secretName", "Secret")
        rename(volume.get("persistentVolumeClaim"), "claimName", "PersistentVolumeClaim")
        for source in (volume.get("projected") or {}).get("sources") or []:
            rename(source.get("configMap"), "name", "ConfigMap")
            rename(source.get("secret"), "name", "Secret")
    for container in [*(pod.get("containers") or []), *(pod.get("initContainers") or [])]:
        for env in container.get("env") or []:
            rename((env.get("valueFrom") or {}).get("configMapKeyRef"), "name", "ConfigMap")
            rename((env.get("valueFrom") or {}).get("secretKeyRef"), "name", "Secret")
        for source in container.get("envFrom") or []:
            rename(source.get("configMapRef"), "name", "ConfigMap")
            rename(source.get("secretRef"), "name", "Secret")
    rename(pod, "serviceAccountName", "ServiceAccount")
    for secret in pod.get("imagePullSecrets") or []:
        rename(secret, "name", "Secret")
    if kind in {"RoleBinding", "ClusterRoleBinding"}:
        role_ref = obj.get("roleRef") or {}
        rename(role_ref, "name", str(role_ref.get("kind")))
        for subject in obj.get("subjects") or []:
            if subject.get("kind") == "ServiceAccount" and isinstance(subject.get("name"), str):
                subject["name"] = new("ServiceAccount", subject["name"], subject.get("namespace"))
    if kind == "StatefulSet":
        rename(spec, "serviceName", "Service")
    if kind == "Ingress":
        backends = [spec.get("defaultBackend") or {}] + [
            path.get("backend") or {}
            for rule in spec.get("rules") or []
            for path in (rule.get("http") or {}).get("paths") or []
        ]
        for backend in backends:
            rename(backend.get("service"), "name", "Service")


def _resources(file: Path, kustomization: dict[str, Any], warnings: list[str]) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = []
    for resource in [*(kustomization.get("resources") or []), *(kustomization.get("bases") or [])]:
        source = str(resource)
        if is_url(source) or source.startswith("github.com/"):
            warnings.append(url_warning(source, str(file)))
            continue
        target = file.parent / source
        if target.is_dir():
            objects.extend(_build_subset(target, warnings))
        elif target.is_file():
            objects.extend(flatten(parse_documents(target.read_text(), str(target))))
        else:
            raise KubeYamlError(f"{file}: resource {source} is neither a file nor a directory")
    return objects


def _transform(obj: dict[str, Any], kustomization: dict[str, Any], objects: list[dict[str, Any]]) -> None:
    """namespace, namePrefix/nameSuffix, labels, commonAnnotations and images, as kustomize applies them."""
    metadata = obj.setdefault("metadata", {})
    kind = obj.get("kind")
    namespace = kustomization.get("namespace")
    if namespace and kind == "Namespace":
        metadata["name"] = namespace
    elif namespace and is_namespaced(obj, objects) is not False:
        metadata["namespace"] = namespace
    if kind not in _NO_PREFIX:
        prefix, suffix = kustomization.get("namePrefix") or "", kustomization.get("nameSuffix") or ""
        metadata["name"] = f"{prefix}{metadata.get('name', '')}{suffix}"
    label_sets = [(dict(kustomization.get("commonLabels") or {}), True)] + [
        (dict(entry.get("pairs") or {}), bool(entry.get("includeSelectors")))
        for entry in kustomization.get("labels") or []
    ]
    templates_too = [bool(entry.get("includeTemplates")) for entry in kustomization.get("labels") or []]
    for (labels, selectors), templates in zip(label_sets, [True, *templates_too], strict=True):
        if labels:
            _add_labels(obj, labels, selectors=selectors, templates=templates or selectors)
    annotations = dict(kustomization.get("commonAnnotations") or {})
    if annotations:
        metadata["annotations"] = {**(metadata.get("annotations") or {}), **annotations}
        template = _template(obj)
        if template is not None:
            template_meta = template.setdefault("metadata", {})
            template_meta["annotations"] = {**(template_meta.get("annotations") or {}), **annotations}
    _set_images(obj, kustomization.get("images") or [])


def _template(obj: dict[str, Any]) -> dict[str, Any] | None:
    spec = obj.get("spec") or {}
    if obj.get("kind") == "CronJob":
        return ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template")
    return spec.get("template") if obj.get("kind") in _TEMPLATED else None


def _add_labels(obj: dict[str, Any], labels: dict[str, Any], *, selectors: bool, templates: bool) -> None:
    metadata = obj["metadata"]
    metadata["labels"] = {**(metadata.get("labels") or {}), **labels}
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    if selectors:
        if obj.get("kind") in {"Service", "ReplicationController"}:
            spec["selector"] = {**(spec.get("selector") or {}), **labels}
        elif obj.get("kind") in _TEMPLATED - {"ReplicationController", "Job"}:
            selector = spec.setdefault("selector", {})
            selector["matchLabels"] = {**(selector.get("matchLabels") or {}), **labels}
    template = _template(obj)
    if templates and template is not None:
        template_meta = template.setdefault("metadata", {})
        template_meta["labels"] = {**(template_meta.get("labels") or {}), **labels}


def _set_images(obj: dict[str, Any], images: list[dict[str, Any]]) -> None:
    template = _template(obj)
    pod_spec = (template or {}).get("spec") if template is not None else None
    if obj.get("kind") == "Pod":
        pod_spec = obj.get("spec")
    if not isinstance(pod_spec, dict):
        return
    for container in [*(pod_spec.get("containers") or []), *(pod_spec.get("initContainers") or [])]:
        image = str(container.get("image", ""))
        name = re.split(r"[@]", image)[0]
        name = name.rsplit(":", 1)[0] if ":" in name.rsplit("/", 1)[-1] else name
        for rule in images:
            if rule.get("name") != name:
                continue
            new = str(rule.get("newName") or name)
            if rule.get("digest"):
                container["image"] = f"{new}@{rule['digest']}"
            else:
                tag = rule.get("newTag") or (image[len(name) + 1 :] if len(image) > len(name) else "")
                separator = "@" if image[len(name) : len(name) + 1] == "@" and not rule.get("newTag") else ":"
                container["image"] = f"{new}{separator}{tag}" if tag else new
