"""Refresh the third-party browser files the web pages serve from our own static files.

Nothing is fetched at run time: each file below is downloaded once from the npm registry, by a
pinned version, checked against the registry's published integrity hash, and committed with its
licence under core/static/vendor/<package>/ (or tests/vendor/ for test-only files). Run it
after changing a version here, then commit the files it wrote:

    .venv/bin/python scripts/vendor_static.py

htmx itself comes with the django-htmx package (`{% htmx_script %}`), pinned in requirements.txt.
"""

from __future__ import annotations

import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "core" / "static" / "vendor"
TESTS = ROOT / "tests" / "vendor"

# (package, version, integrity from `npm view <package>@<version> dist.integrity`,
#  {file in the package: destination}, destination folder)
PACKAGES = [
    (
        "bulma",
        "1.0.4",
        "sha512-Ffb6YGXDiZYX3cqvSbHWqQ8+LkX6tVoTcZuVB3lm93sbAVXlO0D6QlOTMnV6g18gILpAXqkG2z9hf9z4hCjz2g==",
        {"css/bulma.min.css": "bulma.min.css", "LICENSE": "LICENSE"},
        STATIC / "bulma",
    ),
    (
        "cytoscape",
        "3.34.4",
        "sha512-msY99tMY8iWTg+sIPGfSqDcPNOt4xcj+v/K/7qUFaCUxxlqnMkUYLBjRUzn9W5CU/R2hrmtJa5+UtovrEM2ctg==",
        {"dist/cytoscape.min.js": "cytoscape.min.js", "LICENSE": "LICENSE"},
        STATIC / "cytoscape",
    ),
    (
        # Bundles dagre (the layered layout) inside; no other file is needed.
        "cytoscape-dagre",
        "4.0.1",
        "sha512-hyNdh8Vp1nwzBcjHnM4c71G81bFhPmQYLXD2HM9AZIvl+8TrMzWEOPW45hF/XOBQiEguPcDQzi6VrXR1XBcXOA==",
        {"dist/cytoscape-dagre.min.js": "cytoscape-dagre.min.js", "LICENSE": "LICENSE"},
        STATIC / "cytoscape-dagre",
    ),
    (
        # The licence of dagre (and graphlib), which cytoscape-dagre 4 bundles inside its file
        # (its devDependency @dagrejs/dagre ^3): only the licence is kept, beside that file.
        "@dagrejs/dagre",
        "3.1.4",
        "sha512-tW3fsvXxSteGpBHgT/hqPxBxTibPw409mH97S6LzXe+ddak2/RtPtYkYPo5gfvzBtnjxrZnoh8ft62zA3LDAZQ==",
        {"LICENSE": "LICENSE"},
        STATIC / "cytoscape-dagre" / "dagre",
    ),
    (
        # The accessibility engine the browser tests run on every page (tests only).
        "axe-core",
        "4.14.1",
        "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==",
        {"axe.min.js": "axe.min.js", "LICENSE": "LICENSE"},
        TESTS / "axe-core",
    ),
]


def fetch(package: str, version: str, integrity: str) -> bytes:
    name = package.rsplit("/", 1)[-1]
    url = f"https://registry.npmjs.org/{package}/-/{name}-{version}.tgz"
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (a fixed https URL)
        data = response.read()
    algorithm, expected = integrity.split("-", 1)
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if actual != expected:
        sys.exit(f"{package}@{version}: integrity mismatch ({actual} != {expected})")
    return data


def main() -> None:
    for package, version, integrity, files, destination in PACKAGES:
        data = fetch(package, version, integrity)
        destination.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            for source, target in files.items():
                member = archive.extractfile(f"package/{source}")
                if member is None:
                    sys.exit(f"{package}@{version}: no file {source}")
                (destination / target).write_bytes(member.read())
        (destination / "VERSION").write_text(
            f"{package}@{version} from the npm registry ({integrity})\n", encoding="utf-8"
        )
        print(f"{package}@{version} -> {destination.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
