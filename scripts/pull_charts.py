"""`make charts`: pull every chart the platform pins from its own repository into a chart cache.

Writes `<dest>/<name>-<version>.tgz` per pin (Helm's own pull, through helm-python-sdk) and then
`<dest>/index.yaml` with each archive's digest (`helm repo index`), so `offline-plan --charts <dest>`
renders releases from exactly what the repositories serve. Needs the chart repositories to be
reachable; machines without them use the shared cache beside the repository instead.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import helm_python

from infra.standards import CHARTS


def pins() -> list[tuple[str, str, str]]:
    """(name, exact version, repository URL) of every chart the platform installs."""
    return sorted({(c.name, c.version, c.repository) for c in CHARTS})


def pull(name: str, version: str, repository: str, destination: Path) -> Path:
    if repository.startswith("oci://"):
        helm_python.pull(f"{repository.rstrip('/')}/{name}", version=version, destination=destination)
    else:
        helm_python.pull(name, repo_url=repository, version=version, destination=destination)
    archive = destination / f"{name}-{version}.tgz"
    if not archive.is_file():
        raise SystemExit(f"error: pulling {name} {version} from {repository} wrote no {archive.name}")
    return archive


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dest", type=Path, default=Path(".charts"), help="cache folder (default .charts/)")
    args = parser.parse_args(argv)
    args.dest.mkdir(parents=True, exist_ok=True)
    for name, version, repository in pins():
        try:
            archive = pull(name, version, repository, args.dest)
        except helm_python.HelmError as error:
            sys.stderr.write(f"error: cannot pull chart {name} {version} from {repository}: {error}\n")
            return 1
        sys.stdout.write(f"pulled {archive.name} ({helm_python.digest(archive)}) from {repository}\n")
    helm_python.repo_index_generate(args.dest)
    sys.stdout.write(f"wrote {args.dest / 'index.yaml'}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
