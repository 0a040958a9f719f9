"""Print the imports that cross between the rooms of jupyter_sse (see ARCHITECTURE.md).

    .venv/bin/python scripts/import_edges.py

Reads the same import graph as ``lint-imports`` (grimp: every import statement,
those inside functions included) and lists each importing module of one room with
the modules of another room it imports, grouped by the pair of rooms.
"""

from __future__ import annotations

from collections import defaultdict

import grimp

ROOMS = ("wire", "kernel", "server", "cli")


def room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ROOMS else "(package)"


def main() -> None:
    graph = grimp.build_graph("jupyter_sse")
    edges: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for importer in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(importer):
            pair = (room(importer), room(imported))
            if pair[0] != pair[1]:
                edges[pair][importer].add(imported)
    for (source, target), importers in sorted(edges.items()):
        print(f"{source} -> {target}")
        for importer, imported in sorted(importers.items()):
            names = ", ".join(sorted(m.removeprefix("jupyter_sse.") for m in imported))
            print(f"  {importer.removeprefix('jupyter_sse.')}: {names}")


if __name__ == "__main__":
    main()
