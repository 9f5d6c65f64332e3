"""Architecture diagram from the recorded graph: components as clusters, resources grouped by type.

One box per (component, resource type) with its count; edges only where a resource of one component
waits on a resource of another, labelled with how many such dependencies exist. Rendered to SVG with
Graphviz `dot` (Debian package `graphviz`, installed by scripts/system-packages.sh).
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import graphviz  # type: ignore[import-untyped]

from review.plan import NO_COMPONENT, Plan, component_of, is_component, is_provider, short_type

STACK_TYPE = "pulumi:pulumi:Stack"


class DiagramError(RuntimeError):
    """Graphviz `dot` is missing, so the SVG cannot be drawn."""


def _node_id(component: str, resource_type: str) -> str:
    """Graphviz reads `a:b` as node `a` port `b`, so ids are made of safe characters only."""
    return "n_" + "".join(char if char.isalnum() else "_" for char in f"{component}_{resource_type}")


def diagram(plan: Plan) -> graphviz.Digraph:
    drawn = [
        r for r in plan.resources if not is_component(r) and not is_provider(r) and r["type"] != STACK_TYPE
    ]
    component = {r["urn"]: component_of(r, plan.by_urn) for r in drawn}
    groups = Counter((component[r["urn"]], r["type"]) for r in drawn)
    graph = graphviz.Digraph(
        name=f"{plan.project}-{plan.stack}",
        graph_attr={"rankdir": "LR", "fontname": "Helvetica", "label": f"{plan.project} / {plan.stack}",
                    "labelloc": "t", "compound": "true", "nodesep": "0.2"},
        node_attr={"shape": "box", "style": "rounded,filled", "fillcolor": "#f4f6fb", "fontname": "Helvetica",
                   "fontsize": "10"},
        edge_attr={"fontname": "Helvetica", "fontsize": "9", "color": "#55607a"},
    )  # fmt: skip
    for index, name in enumerate(sorted({c for c, _ in groups})):
        with graph.subgraph(name=f"cluster_{index}") as cluster:
            cluster.attr(label=name, style="rounded", color="#8a94ad" if name != NO_COMPONENT else "#cccccc")
            for (owner, resource_type), count in sorted(groups.items()):
                if owner == name:
                    label = short_type(resource_type) + (f" x{count}" if count > 1 else "")
                    cluster.node(_node_id(owner, resource_type), label=label)
    edges: Counter[tuple[str, str]] = Counter()
    by_urn = plan.by_urn
    for resource in drawn:
        for dependency in resource.get("dependencies") or []:
            target = by_urn.get(dependency)
            if target is None or dependency not in component:
                continue
            if component[dependency] != component[resource["urn"]]:
                edges[
                    (_node_id(component[dependency], target["type"]),
                     _node_id(component[resource["urn"]], resource["type"]))
                ] += 1  # fmt: skip
    for (source, destination), count in sorted(edges.items()):
        graph.edge(source, destination, label=str(count) if count > 1 else "")
    return graph


def render_svg(plan: Plan, out_dir: Path) -> Path:
    """Write `architecture.dot` and `architecture.svg` into `out_dir`; returns the SVG path."""
    graph = diagram(plan)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "architecture.dot").write_text(graph.source)
    if shutil.which("dot") is None:
        raise DiagramError(
            "Graphviz `dot` is not installed, so architecture.svg was not drawn (architecture.dot was "
            "written); install it with `bash scripts/system-packages.sh` or `apt-get install graphviz`"
        )
    svg = graph.pipe(format="svg")
    path = out_dir / "architecture.svg"
    path.write_bytes(svg)
    return path
