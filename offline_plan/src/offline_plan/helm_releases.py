"""Every Helm release of a plan, rendered (see `helm`) and written: records, manifests, the plan's section.

Each rendered object becomes a record shaped like the program's own Kubernetes resources, a child of its
release, and a manifest under `manifests/<release>/`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from offline_plan.charts import ChartCache

if TYPE_CHECKING:
    from offline_plan.prerender import Prerenderer

from offline_plan.helm import (
    CLUSTER_SCOPED_KINDS,
    RenderedRelease,
    kubernetes_type,
    manifest_text,
    release_records,
    render,
)


def object_records(release: Mapping[str, Any], rendered: RenderedRelease) -> list[dict[str, Any]]:
    """The rendered objects as plan records: children of the release, marked as rendered from it."""
    prefix, _, _ = release["urn"].rpartition("::")
    parent_type = prefix.split("::")[-1]
    records = []
    for body in rendered.objects:
        metadata = body.get("metadata") or {}
        object_name = f"{metadata.get('namespace') or '_cluster'}/{metadata.get('name', 'unnamed')}"
        type_ = kubernetes_type(str(body["apiVersion"]), str(body["kind"]))
        stack_project = "::".join(prefix.split("::")[:2])
        records.append(
            {
                "urn": f"{stack_project}::{parent_type}${type_}::{rendered.name}:{object_name}",
                "type": type_,
                "name": f"{rendered.name}:{object_name}",
                "id": "",
                "custom": True,
                "parent": release["urn"],
                "provider": release.get("provider", ""),
                "dependencies": [],
                "propertyDependencies": {},
                "inputs": _for_policies(body),
                "options": {},
                "renderedFrom": release["urn"],
            }
        )
    return records


SCHEMA_ELIDED = "[offline-plan: openAPIV3Schema elided; the CRD's manifest holds it]"


def _for_policies(body: dict[str, Any]) -> dict[str, Any]:
    """A CRD's schema (thousands of lines) is left out of the record the policy pack sees.

    Custom resources are validated against it separately (`crds.py`); policies read CRD names,
    scope and versions, and copying the whole schema into every policy's view costs seconds.
    """
    if body.get("kind") != "CustomResourceDefinition":
        return body
    spec = dict(body.get("spec") or {})
    spec["versions"] = [
        {**version, "schema": {"openAPIV3Schema": SCHEMA_ELIDED}} if "schema" in version else version
        for version in spec.get("versions") or []
    ]
    return {**body, "spec": spec}


def manifest_path(folder: Path, rendered: RenderedRelease, body: dict[str, Any]) -> Path:
    """`<folder>/<release>/<namespace or _cluster>/<kind>-<name>.yaml`."""
    metadata = body.get("metadata") or {}
    namespace = metadata.get("namespace") or "_cluster"
    return (
        folder
        / rendered.name
        / namespace
        / f"{str(body['kind']).lower()}-{metadata.get('name', 'unnamed')}.yaml"
    )


@dataclass
class ReleasesPlan:
    """Every release of a plan, rendered: records for the policy pack, manifests, and what went wrong."""

    releases: list[RenderedRelease] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    manifests: list[Manifest] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def document(self, out: Path) -> dict[str, Any]:
        """The plan's `charts` section: one entry per release, plus its rendered objects (no bodies)."""
        by_release: dict[str, list[str]] = {}
        for manifest in self.manifests:
            by_release.setdefault(manifest.release, []).append(str(manifest.path.relative_to(out)))
        return {
            "releases": [
                {
                    "urn": release.urn,
                    "release": release.name,
                    "namespace": release.namespace,
                    "chart": release.chart,
                    "version": release.version,
                    "rendered": release.rendered,
                    "digest": release.archive.digest if release.archive else None,
                    "source": release.archive.source if release.archive else None,
                    "objects": len(release.objects),
                    "kinds": dict(sorted(Counter(str(o["kind"]) for o in release.objects).items())),
                    "notes": release.notes,
                    "problems": [
                        *release.problems,
                        *release.values_problems,
                        *([str(release.pin_problem)] if release.pin_problem else []),
                    ],
                    "manifests": sorted(by_release.get(release.urn, [])),
                }
                for release in self.releases
            ],
            "renderedResources": [
                {"urn": r["urn"], "type": r["type"], "name": r["name"], "renderedFrom": r["renderedFrom"]}
                for r in sorted(self.records, key=lambda record: record["urn"])
            ],
        }

    def summary(self) -> str:
        lines = ["Helm releases (rendered offline):"]
        for release in self.releases:
            if release.rendered:
                lines.append(
                    f"  {release.name:<24} {release.chart} {release.version}: {len(release.objects)} objects"
                )
            else:
                reason = release.problems[0] if release.problems else str(release.pin_problem)
                lines.append(f"  {release.name:<24} NOT RENDERED: {reason}")
            lines += [f"      note: {note}" for note in release.notes]
        return "\n".join(lines)


@dataclass(frozen=True)
class Manifest:
    """A rendered object's manifest file (same fields as `manifests.Manifest`, plus its release)."""

    path: Path
    kind: str
    name: str
    namespace: str | None
    body: dict[str, Any]
    release: str


def timings(releases: list[RenderedRelease]) -> str:
    """Load and render time per chart, for the log (plan files stay byte-identical between runs)."""
    parts = [
        f"{release.name} {release.load_seconds:.2f}+{release.render_seconds:.2f}s"
        for release in releases
        if release.rendered
    ]
    return f"  rendered {len(parts)} Helm releases (load+render): {', '.join(parts)}\n" if parts else ""


def plan_releases(
    resources: Sequence[Mapping[str, Any]],
    cache: ChartCache | None,
    folder: Path,
    *,
    strict: bool,
    taken: set[Path] | None = None,
    prerendered: Prerenderer | None = None,
    cluster_folders: Mapping[str, str] | None = None,
) -> ReleasesPlan:
    """Render every release, write its objects under `folder/<release>/`; pins per `strict` (CI).

    A release `prerendered` already rendered from this very record is taken from it (see `prerender`).
    """
    plan = ReleasesPlan()
    taken = set(taken or ())
    crd_kinds = {
        str((r["inputs"].get("spec") or {}).get("names", {}).get("kind"))
        for r in resources
        if r["type"].endswith(":CustomResourceDefinition")
        and (r["inputs"].get("spec") or {}).get("scope") == "Cluster"
    }
    scoped_by_plan = crd_kinds - CLUSTER_SCOPED_KINDS  # a worker renders with the built-in kinds only
    for release in release_records(resources):
        done = prerendered.result(release) if prerendered else None
        if done is not None and not {str(o["kind"]) for o in done.release.objects} & scoped_by_plan:
            rendered, texts = done.release, done.texts
        else:
            rendered = render(release, cache, cluster_scoped=CLUSTER_SCOPED_KINDS | crd_kinds)
            texts = [manifest_text(body) for body in rendered.objects]
        plan.releases.append(rendered)
        if rendered.pin_problem is not None:
            message = (
                f"Helm release {rendered.name} ({release['urn']}) was not rendered: {rendered.pin_problem}"
            )
            (plan.errors if strict else plan.warnings).append(
                message + ("" if strict or cache is None else " (an error when CI=true)")
            )
            continue
        if rendered.problems:
            plan.errors += [f"Helm release {rendered.name}: {problem}" for problem in rendered.problems]
            continue
        plan.errors += rendered.values_problems
        plan.records += object_records(release, rendered)
        for body, text in zip(rendered.objects, texts, strict=True):
            subfolder = (cluster_folders or {}).get(str(release.get("provider") or ""), "")
            path = manifest_path(folder / subfolder, rendered, body)
            if path in taken:
                plan.errors.append(
                    f"Helm release {rendered.name}: two objects would both be written to {path}; "
                    "their kind, namespace and name must differ"
                )
                continue
            taken.add(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            metadata = body.get("metadata") or {}
            plan.manifests.append(
                Manifest(
                    path,
                    str(body["kind"]),
                    str(metadata.get("name")),
                    metadata.get("namespace"),
                    body,
                    release["urn"],
                )
            )
    plan.manifests.sort(key=lambda manifest: manifest.path)
    return plan


def privileged_namespaces(records: Sequence[Mapping[str, Any]]) -> list[str]:
    """Namespaces labelled `pod-security.kubernetes.io/enforce: privileged` (admit any pod)."""
    names = set()
    for record in records:
        body = record.get("inputs") or {}
        if record["type"] != "kubernetes:core/v1:Namespace" or not isinstance(body, dict):
            continue
        metadata = body.get("metadata") or {}
        labels = metadata.get("labels") or {}
        if isinstance(labels, dict) and labels.get("pod-security.kubernetes.io/enforce") == "privileged":
            names.add(str(metadata.get("name")))
    return sorted(names)
