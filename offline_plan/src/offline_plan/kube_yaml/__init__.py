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

from offline_plan.kube_yaml.component import (
    ChildRegistry,
    expand_component,
    register_declared,
    unwrap,
)
from offline_plan.kube_yaml.kustomize import SUBSET_FIELDS, kustomize_build
from offline_plan.kube_yaml.objects import (
    CLUSTER_SCOPED,
    DECODE,
    DEFAULT_NAMESPACE,
    KUSTOMIZE,
    NAMESPACE_TYPE,
    REMOTE_TYPES,
    DeclaredObject,
    Expansion,
    KubeYamlError,
    flatten,
    is_namespaced,
    is_url,
    parse_documents,
    type_token,
    url_warning,
)
from offline_plan.kube_yaml.v1 import answer_invoke, offline_sdk
from offline_plan.kube_yaml.v2 import declare, expand_remote

__all__ = [
    "CLUSTER_SCOPED",
    "DECODE",
    "DEFAULT_NAMESPACE",
    "KUSTOMIZE",
    "NAMESPACE_TYPE",
    "REMOTE_TYPES",
    "SUBSET_FIELDS",
    "ChildRegistry",
    "DeclaredObject",
    "Expansion",
    "KubeYamlError",
    "answer_invoke",
    "declare",
    "expand_component",
    "expand_remote",
    "flatten",
    "is_namespaced",
    "is_url",
    "kustomize_build",
    "offline_sdk",
    "parse_documents",
    "register_declared",
    "type_token",
    "unwrap",
    "url_warning",
]
