"""Kubernetes YAML that a program declares through pulumi_kubernetes' yaml and kustomize components.

Two families exist, and the offline plan expands both into the objects they declare:

- v1 `kubernetes.yaml.ConfigFile`/`ConfigGroup` and `kubernetes.kustomize.Directory` are Python
  components: they ask the provider to decode the text (`kubernetes:yaml:decode`) or build the
  kustomization (`kubernetes:kustomize:directory`) and register each returned object themselves.
  `answer_invoke` gives those answers, so the SDK registers real child resources (transformations
  and `resource_prefix` included).
- v2 `yaml.v2.ConfigFile`/`ConfigGroup` and `kustomize.v2.Directory` are remote components that
  the provider constructs. `expand_remote` does what the provider's `Construct` does
  (provider/pkg/provider/yaml/v2/yaml.go: Parse, Normalize, Register): files, globs, literal YAML,
  objects; List kinds flattened; the default namespace set on namespaced kinds; children named
  `<prefix>:<namespace>/<name>` with the component's name as the default prefix.

Nothing is fetched: a URL source is left out of the plan with a warning naming it. Kustomizations
are built by `kubectl kustomize` where kubectl is installed; otherwise by a built-in subset that
warns about every field it does not implement.
"""

from __future__ import annotations

import copy
import glob
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from offline_plan.markers import REDACTED

DECODE = "kubernetes:yaml:decode"
KUSTOMIZE = "kubernetes:kustomize:directory"
REMOTE_TYPES = frozenset(
    {"kubernetes:yaml/v2:ConfigGroup", "kubernetes:yaml/v2:ConfigFile", "kubernetes:kustomize/v2:Directory"}
)
DEFAULT_NAMESPACE = "default"
NAMESPACE_TYPE = "kubernetes:core/v1:Namespace"
_KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_GLOB = re.compile(r"(?:^|[^\\])[*?\[]")  # the provider's isGlobPattern

# Cluster-scoped kinds of the built-in API groups (`kubectl api-resources --namespaced=false`).
CLUSTER_SCOPED = frozenset(
    {
        "APIService",
        "CertificateSigningRequest",
        "ClusterRole",
        "ClusterRoleBinding",
        "ClusterTrustBundle",
        "ComponentStatus",
        "CSIDriver",
        "CSINode",
        "CustomResourceDefinition",
        "DeviceClass",
        "FlowSchema",
        "IngressClass",
        "IPAddress",
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PriorityClass",
        "PriorityLevelConfiguration",
        "RuntimeClass",
        "SelfSubjectAccessReview",
        "SelfSubjectReview",
        "SelfSubjectRulesReview",
        "ServiceCIDR",
        "StorageClass",
        "StorageVersionMigration",
        "SubjectAccessReview",
        "TokenReview",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
        "VolumeAttributesClass",
    }
)


class KubeYamlError(Exception):
    """Declared YAML the provider would refuse; the message names the source and the object."""


@dataclass(frozen=True)
class DeclaredObject:
    """One object a v2 component registers: its type token, Pulumi resource name and body."""

    type: str
    name: str
    body: dict[str, Any]
    depends_on: tuple[str, ...] = ()  # resource names of objects in the same component


@dataclass
class Expansion:
    objects: list[DeclaredObject] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


# -- parsing -------------------------------------------------------------------------------------------
def is_url(source: str) -> bool:
    """A source with a scheme (`https://`, `git::`, `ssh://`) or an scp-like git address."""
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:(//|:)", source)) or source.startswith("git@")


def url_warning(source: str, owner: str) -> str:
    return (
        f"{owner}: {source} is a URL; the offline plan fetches nothing, so the objects it declares are "
        "not in the plan (download the file into the project and point the program at it to plan them)"
    )


def parse_documents(text: str, source: str) -> list[dict[str, Any]]:
    """Every non-empty document of a (multi-document) YAML or JSON text; a non-mapping is an error."""
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError as error:
        raise KubeYamlError(f"{source}: not valid YAML: {error}") from None
    objects = []
    for index, document in enumerate(documents):
        if document is None or document == {}:
            continue
        if not isinstance(document, dict):
            raise KubeYamlError(
                f"{source}: document {index + 1} is a {type(document).__name__}, not a Kubernetes object"
            )
        objects.append(document)
    return objects


def flatten(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`List` kinds (v1/List, ConfigMapList, ...) replaced by their items, as the provider does."""
    flat: list[dict[str, Any]] = []
    for obj in objects:
        if str(obj.get("kind", "")).endswith("List") and isinstance(obj.get("items"), list):
            flat.extend(flatten([item for item in obj["items"] if item]))
        else:
            flat.append(obj)
    return flat


def _group(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def is_namespaced(obj: dict[str, Any], objects: list[dict[str, Any]]) -> bool | None:
    """Whether the object's kind is namespaced: built-in kinds by table, custom ones by their CRD."""
    group, kind = _group(str(obj.get("apiVersion", ""))), str(obj.get("kind", ""))
    if group in {"", "core"} or "." not in group or group.endswith(".k8s.io"):
        return kind not in CLUSTER_SCOPED
    for crd in objects:
        spec = crd.get("spec") or {}
        if (
            crd.get("kind") == "CustomResourceDefinition"
            and spec.get("group") == group
            and (spec.get("names") or {}).get("kind") == kind
        ):
            return bool(spec.get("scope", "Namespaced") == "Namespaced")
    return None


def type_token(api_version: str, kind: str) -> str:
    """`kubernetes:<group>/<version>:<Kind>`; the core group is `core`."""
    group_version = api_version if "/" in api_version else f"core/{api_version}"
    return f"kubernetes:{group_version}:{kind}"


# -- v1: invoke answers ----------------------------------------------------------------------------------
def answer_invoke(token: str, args: dict[str, Any], warnings: list[str]) -> dict[str, Any]:
    """The provider's answer to `kubernetes:yaml:decode` or `kubernetes:kustomize:directory`."""
    if token == DECODE:
        objects = parse_documents(str(args.get("text") or ""), "kubernetes.yaml text")
        namespace = args.get("defaultNamespace")
    else:
        directory = str(args.get("directory") or "")
        if is_url(directory):
            warnings.append(url_warning(directory, "kustomize.Directory"))
            return {"result": []}
        objects = kustomize_build(directory, warnings)
        namespace = None
    kept = []
    for obj in objects:
        if not obj.get("kind") or not obj.get("apiVersion"):
            # The provider drops these without a word; a reviewer should hear of it.
            warnings.append(f"{token}: skipped an object without kind or apiVersion: {_brief(obj)}")
            continue
        # The provider assumes kinds of unknown scope are namespaced.
        if (
            namespace
            and not (obj.get("metadata") or {}).get("namespace")
            and is_namespaced(obj, objects) is not False
        ):
            obj.setdefault("metadata", {})["namespace"] = namespace
        kept.append(obj)
    return {"result": kept}


@contextmanager
def offline_sdk(warnings: list[str]) -> Iterator[None]:
    """v1 ConfigFile fetches a URL itself (`requests.get`); offline it reads as empty, with a warning."""
    try:
        from pulumi_kubernetes.yaml import yaml as v1_yaml  # noqa: PLC0415 - only if the program has it
    except ImportError:
        yield
        return
    saved = getattr(v1_yaml, "_read_url", None)
    if saved is None:  # an SDK without the hook; test_url_sources_are_named_in_warnings_and_left_out fails
        yield
        return

    def read_url(url: str) -> str:
        warnings.append(url_warning(url, "kubernetes.yaml.ConfigFile"))
        return ""

    v1_yaml._read_url = read_url
    try:
        yield
    finally:
        v1_yaml._read_url = saved


# -- v2: remote components ---------------------------------------------------------------------------------
def expand_remote(type_: str, name: str, inputs: dict[str, Any], default_namespace: str) -> Expansion | None:
    """The objects a v2 ConfigFile/ConfigGroup/kustomize Directory registers; None for other types.

    `inputs` are the component's plain inputs; the provider's defaults apply (prefix = the
    component's name unless `resourcePrefix` is given, even as "").
    """
    if type_ not in REMOTE_TYPES:
        return None
    expansion = Expansion()
    owner = f"{type_.rsplit(':', 1)[1]} {name}"
    objects: list[dict[str, Any]] = []
    if type_ == "kubernetes:kustomize/v2:Directory":
        directory = str(inputs.get("directory") or "")
        if is_url(directory):
            expansion.warnings.append(url_warning(directory, owner))
        else:
            objects = kustomize_build(directory, expansion.warnings)
        default_namespace = str(inputs.get("namespace") or default_namespace)
    else:
        files = [inputs["file"]] if type_.endswith("ConfigFile") else list(inputs.get("files") or [])
        for file in files:
            objects.extend(
                _read_source(str(file), glob_ok=type_.endswith("ConfigGroup"), expansion=expansion)
            )
        text = inputs.get("yaml")
        texts = text if isinstance(text, list) else [text] if text else []
        for item in texts:
            objects.extend(parse_documents(str(item), f"{owner} yaml"))
        objects.extend(copy.deepcopy(obj) for obj in inputs.get("objs") or [])
    prefix = str(inputs["resourcePrefix"]) if inputs.get("resourcePrefix") is not None else name
    expansion.objects = declare(
        objects,
        default_namespace,
        prefix,
        skip_await=bool(inputs.get("skipAwait")),
        owner=owner,
        warnings=expansion.warnings,
    )
    return expansion


def declare(
    objects: list[dict[str, Any]],
    default_namespace: str,
    prefix: str,
    *,
    skip_await: bool,
    owner: str,
    warnings: list[str],
) -> list[DeclaredObject]:
    """Normalize and name objects as the provider's yaml/v2 `Normalize` and `Register` do.

    Shared by the v2 components here and `helm.sh/v4:Chart` (`helm_v4`), which registers its
    rendered objects through the same code in the provider.
    """
    return _register(
        _normalize(flatten(objects), default_namespace, owner, warnings), prefix, skip_await, owner
    )


def _read_source(source: str, *, glob_ok: bool, expansion: Expansion) -> list[dict[str, Any]]:
    if is_url(source):
        expansion.warnings.append(url_warning(source, "yaml.v2"))
        return []
    paths = sorted(glob.glob(source)) if glob_ok and _GLOB.search(source) else [source]
    objects = []
    for path in paths:
        try:
            text = Path(path).read_text()
        except OSError as error:
            raise KubeYamlError(
                f"reading YAML file from disk: {path}: {error.strerror} (relative to {os.getcwd()})"
            ) from None
        objects.extend(parse_documents(text, path))
    return objects


def _normalize(
    objects: list[dict[str, Any]], default_namespace: str, owner: str, warnings: list[str]
) -> list[dict[str, Any]]:
    unresolved = []
    for obj in objects:
        if not obj.get("kind") or not obj.get("apiVersion"):
            raise KubeYamlError(f"{owner}: Kubernetes resources require a kind and apiVersion: {_brief(obj)}")
        if not (obj.get("metadata") or {}).get("name"):
            raise KubeYamlError(f"{owner}: Kubernetes resources require a .metadata.name: {_brief(obj)}")
        if str(obj["apiVersion"]).startswith("core/"):
            obj["apiVersion"] = str(obj["apiVersion"]).removeprefix("core/")
        if obj["metadata"].get("namespace"):
            continue
        namespaced = is_namespaced(obj, objects)
        if namespaced is None:
            unresolved.append(f"{obj['apiVersion']}/{obj['kind']}")
        elif namespaced:
            obj["metadata"]["namespace"] = default_namespace
    if unresolved:
        warnings.append(
            f"{owner}: cannot tell whether {', '.join(sorted(set(unresolved)))} are namespaced without a "
            "cluster or a matching CustomResourceDefinition, so they are planned without a namespace; set "
            ".metadata.namespace or include the CustomResourceDefinition"
        )
    return objects


def _register(
    objects: list[dict[str, Any]], prefix: str, skip_await: bool, owner: str
) -> list[DeclaredObject]:
    names: dict[tuple[str, str], str] = {}
    declared = []
    for obj in objects:
        metadata = obj["metadata"]
        name = (
            f"{metadata['namespace']}/{metadata['name']}" if metadata.get("namespace") else metadata["name"]
        )
        if prefix:
            name = f"{prefix}:{name}"
        token = type_token(str(obj["apiVersion"]), str(obj["kind"]))
        if (token, name) in names:
            raise KubeYamlError(
                f"{owner}: {token} {name} is declared twice; the engine refuses duplicate URNs"
            )
        names[(token, name)] = name
        if skip_await:
            metadata["annotations"] = {**(metadata.get("annotations") or {}), "pulumi.com/skipAwait": "true"}
        declared.append((token, name, obj))
    rank = {"Namespace": 0, "CustomResourceDefinition": 1}
    declared.sort(key=lambda entry: rank.get(str(entry[2].get("kind")), 2))
    result = []
    for token, name, obj in declared:
        depends = [
            other_name
            for other_token, other_name, other in declared
            if _depends(obj, other_token, other) and other is not obj
        ]
        result.append(DeclaredObject(token, name, obj, tuple(depends)))
    return result


def _depends(obj: dict[str, Any], other_token: str, other: dict[str, Any]) -> bool:
    """The provider's ordering heuristics that matter for a plan: namespace first, then CRD, then CR."""
    namespace = (obj.get("metadata") or {}).get("namespace")
    if other_token == NAMESPACE_TYPE and namespace == other["metadata"]["name"]:
        return True
    if other.get("kind") == "CustomResourceDefinition":
        spec = other.get("spec") or {}
        return bool(
            _group(str(obj.get("apiVersion", ""))) == spec.get("group")
            and obj.get("kind") == (spec.get("names") or {}).get("kind")
        )
    return False


def _brief(obj: Any) -> str:
    text = yaml.safe_dump(obj, default_flow_style=True, width=10_000).strip()
    return text if len(text) <= 100 else text[:97] + "..."


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


# -- the recording monitor's side of a v2 component ----------------------------------------------------
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105 - the SDK's secret signature
_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
_UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


class ChildRegistry(Protocol):
    """What `expand_component` needs of the recording monitor."""

    def provider_inputs(self, reference: str) -> dict[str, Any]: ...

    def config_value(self, key: str) -> str | None: ...

    def kubernetes_provider(self, request: Any) -> str: ...

    def register_child(
        self,
        parent: str,
        type_: str,
        name: str,
        body: dict[str, Any],
        *,
        recorded: dict[str, Any],
        provider: str,
        dependencies: list[str],
    ) -> tuple[str, str]: ...

    def warn(self, message: str) -> None: ...


def unwrap(value: Any) -> tuple[Any, bool, bool]:
    """A registration's protobuf-JSON value as plain data, and whether it held an unknown or a secret."""
    if isinstance(value, dict):
        if value.get(_SIG_KEY) == _SECRET_SIG:
            inner, unknown, _ = unwrap(value.get("value"))
            return inner, unknown, True
        items = {key: unwrap(item) for key, item in value.items()}
        return (
            {key: item[0] for key, item in items.items()},
            any(item[1] for item in items.values()),
            any(item[2] for item in items.values()),
        )
    if isinstance(value, list):
        entries = [unwrap(item) for item in value]
        return [e[0] for e in entries], any(e[1] for e in entries), any(e[2] for e in entries)
    if isinstance(value, float) and value.is_integer():
        return int(value), False, False
    return value, value == _UNKNOWN_VALUE, False


def expand_component(
    monitor: ChildRegistry, request: Any, urn: str, inputs_json: dict[str, Any]
) -> dict[str, Any] | None:
    """Register the children of a v2 yaml/kustomize component; its outputs (`resources`), or None.

    None means the type is not one of ours (another remote component). Children are recorded as
    the provider registers them: parented to the component, through the component's Kubernetes
    provider, with every object's full body as inputs (a Secret's data and stringData secret).
    """
    if request.type not in REMOTE_TYPES:
        return None
    inputs, unknown, secret = unwrap(inputs_json)
    owner = f"{request.type} {request.name}"
    if unknown:
        monitor.warn(f"{owner}: input properties have unknown values, so its objects are not in the plan")
        return {"resources": []}
    provider = monitor.kubernetes_provider(request)
    default_namespace = str(
        monitor.provider_inputs(provider).get("namespace")
        or monitor.config_value("kubernetes:namespace")
        or DEFAULT_NAMESPACE
    )
    expansion = expand_remote(request.type, request.name, inputs, default_namespace)
    assert expansion is not None
    for message in expansion.warnings:
        monitor.warn(message)
    return register_declared(monitor, urn, provider, expansion.objects, all_secret=secret)


def register_declared(
    monitor: ChildRegistry, urn: str, provider: str, objects: list[DeclaredObject], *, all_secret: bool
) -> dict[str, Any]:
    """Register declared objects as children of the component `urn`; its `resources` output."""
    urns: dict[str, str] = {}
    references = []
    for declared in objects:
        child_urn, child_id = monitor.register_child(
            urn,
            declared.type,
            declared.name,
            declared.body,
            recorded=_recorded(declared.body, all_secret=all_secret),
            provider=provider,
            dependencies=[urns[name] for name in declared.depends_on if name in urns],
        )
        urns[declared.name] = child_urn
        references.append({_SIG_KEY: _RESOURCE_SIG, "urn": child_urn, "id": child_id, "packageVersion": ""})
    return {"resources": references}


def _recorded(body: dict[str, Any], *, all_secret: bool) -> dict[str, Any]:
    """The body as the plan shows it: secret values redacted.

    A Secret's data and stringData always are (the provider marks them secret). When the component's
    inputs were secret, every string outside apiVersion, kind and the object's name and namespace is,
    so the manifest keeps its shape (and validates) while no value of it reaches a plan file.
    """
    recorded = copy.deepcopy(body)
    if all_secret:
        for key in set(recorded) - {"apiVersion", "kind"}:
            recorded[key] = _redact_strings(recorded[key])
        metadata = body.get("metadata") or {}
        for key in ("name", "namespace"):
            if key in metadata:
                recorded["metadata"][key] = metadata[key]
    if body.get("kind") == "Secret":
        for key in {"data", "stringData"} & set(recorded):
            recorded[key] = REDACTED
    return recorded


def _redact_strings(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _redact_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact_strings(item) for item in value]
    return REDACTED if isinstance(value, str) else value
