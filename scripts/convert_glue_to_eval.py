"""Move chapters from myst-nb glue roles to inline ``{eval}`` expressions that JupyterLab renders too.

    python scripts/convert_glue_to_eval.py chapters/0*.ipynb          # convert in place
    python scripts/convert_glue_to_eval.py --check chapters/0*.ipynb  # only say what would change

For each notebook it
  - rewrites ``{glue:text}`name:spec``` and ``{glue}`name``` in markdown cells as
    ``{eval}`glued("name:spec")``` (jupyterlab-myst renders ``{eval}``; myst-nb's ``{glue}``
    roles show raw in JupyterLab);
  - gives each ``{doc}`path``` link the title of its target, ``{doc}`Title <path>```
    (JupyterLab shows a bare target as its path; the site showed the title already);
  - imports ``glue`` and ``glued`` from ``hclib.prose`` instead of ``glue`` from ``myst_nb``
    (the same glue outputs, and the values remembered for ``glued``);
  - stores in each markdown cell's metadata (``user_expressions``, jupyterlab-myst's format)
    the result of each expression, computed from the glue outputs already committed, so the
    chapter shows its numbers in JupyterLab before it runs and on the site (built without
    execution) without re-running anything.

Idempotent: a converted notebook is only re-checked and its stored results refreshed from
its glue outputs. Cells' outputs and ids are left alone. Unsupported glue forms (figures,
``{glue:md}``, ``doc::key`` references) stop the conversion with the cell named.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from hclib.prose import METADATA_KEY, stored_results  # noqa: E402

GLUE_TEXT = re.compile(r"\{glue(?::text)?\}`([a-z][a-z0-9_]*)(?::([^`]*))?`")
ANY_GLUE = re.compile(r"\{glue(?::[a-z]*)?\}`[^`]*`|`{3,}\{glue|:{3,}\{glue")
DOC_ROLE = re.compile(r"\{doc\}`([^`<>]+)`")   # a {doc} link without its own text
MYST_IMPORT = re.compile(r"^from myst_nb import glue\s*$", re.M)
PROSE_IMPORT = "from hclib.prose import glue, glued"


def title_of(target: Path) -> str | None:
    """The first level-1 heading of a .md or .ipynb document, or None."""
    for path in (target.with_suffix(".md"), target.with_suffix(".ipynb")):
        if path.is_file():
            if path.suffix == ".md":
                text = path.read_text(encoding="utf-8")
            else:
                text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
            heading = re.search(r"^# (.+)$", text, re.M)
            title = heading.group(1).strip() if heading else None
            return title if title and not re.search(r"[`<>{}]", title) else None
    return None


def convert_markdown(source: str, folder: Path | None = None) -> str:
    def glue(m: re.Match) -> str:
        name, spec = m.group(1), m.group(2)
        return f'{{eval}}`glued("{name}:{spec}")`' if spec else f'{{eval}}`glued("{name}")`'

    def doc(m: re.Match) -> str:   # JupyterLab shows a bare {doc} target as its path; the site, its title
        title = title_of((folder / m.group(1).strip())) if folder is not None else None
        return f"{{doc}}`{title} <{m.group(1).strip()}>`" if title else m.group(0)

    return DOC_ROLE.sub(doc, GLUE_TEXT.sub(glue, source))


def convert(nb, folder: Path | None = None) -> tuple[list[str], list[str]]:
    """Convert one notebook in memory; return what changed (empty when nothing did) and the
    expressions whose names nothing in the committed outputs glues (run the chapter to store them)."""
    changes = []
    for index, cell in enumerate(nb.cells):
        where = f"cell {index} ({cell.get('id', '?')})"
        if cell.cell_type == "markdown":
            new = convert_markdown(cell.source, folder)
            left = ANY_GLUE.findall(new)
            if left:
                raise SystemExit(f"{where}: glue forms this script does not convert: {left[:3]}")
            if new != cell.source:
                changes.append(f"{where}: {len(GLUE_TEXT.findall(cell.source))} glue roles -> {{eval}}, "
                               f"{len(DOC_ROLE.findall(cell.source)) - len(DOC_ROLE.findall(new))} {{doc}} links titled")
                cell.source = new
        elif cell.cell_type == "code":
            if MYST_IMPORT.search(cell.source):
                cell.source = MYST_IMPORT.sub(PROSE_IMPORT, cell.source)
                changes.append(f"{where}: glue imported from hclib.prose")
            elif re.search(r"\bmyst_nb\b", cell.source):
                raise SystemExit(f"{where}: uses myst_nb in a way this script does not convert")
    missing = []
    for cell, results, unresolved in stored_results(nb):
        missing += unresolved
        if results and cell.metadata.get(METADATA_KEY) != results:
            cell.metadata[METADATA_KEY] = results
            changes.append(f"cell {cell.get('id', '?')}: {len(results)} stored expression results")
    for cell in nb.cells:   # a cell whose expressions were all removed keeps no stale results
        if (cell.cell_type == "markdown" and METADATA_KEY in cell.metadata
                and not any(e["expression"] in cell.source for e in cell.metadata[METADATA_KEY])):
            del cell.metadata[METADATA_KEY]
            changes.append(f"cell {cell.get('id', '?')}: stale stored results removed")
    return changes, missing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true", help="report what would change, write nothing")
    args = parser.parse_args()
    status = 0
    for path in args.notebooks:
        nb = nbformat.read(path, as_version=4)
        try:
            changes, missing = convert(nb, path.parent)
        except ValueError as exc:
            raise SystemExit(f"{path}: {exc}")
        if missing:
            status = 2
            print(f"{path}: {len(missing)} expression(s) name values its committed outputs do not glue, so "
                  f"they have no stored result (run the chapter: make run PROFILE=cpu CHAPTERS={path}): "
                  + ", ".join(missing))
        if not changes:
            print(f"{path}: nothing to change")
            continue
        print(f"{path}: {len(changes)} change(s)" + (" (not written: --check)" if args.check else ""))
        for line in changes:
            print(f"  {line}")
        if not args.check:
            nbformat.validate(nb)
            nbformat.write(nb, path)
    return status


if __name__ == "__main__":
    sys.exit(main())
