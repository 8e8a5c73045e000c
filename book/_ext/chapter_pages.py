"""Sphinx extension: what every chapter page needs beyond its notebook.

- **Numbered output tables.** A code cell whose metadata asks for a figure
  (``"mystnb": {"figure": {"name": "tbl-...", "caption": "..."}}``) and whose output
  is a table is numbered as a *table* ("Table 2"), not a figure, when its name
  starts with ``tbl-``; ``{numref}`` finds it like any table.
- **Time and prerequisites.** Under each chapter's title, a box gives the reading
  time (counted from the notebook's prose and code), the run time of every profile
  (the committed run card's closing line, and ``chapters/run_times.json`` written by
  ``scripts/run_chapters.py`` for the other profiles) and the chapters it builds on
  (notebook metadata ``hcbook.builds_on``).
- ``{chapter-table}``: the same facts for every chapter as one table (course guide).
- A stylesheet (static/chapter_pages.css): code wraps at the page's edge, wide output
  tables scroll, the chapter box is set off from the text.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.util.docutils import SphinxDirective
from sphinx.writers.html5 import HTML5Translator

from hclib.runcard import read_run_card

PROFILES = ("ci", "cpu", "gpu")
WORDS_PER_MINUTE = 200      # prose read with attention
CODE_LINES_PER_MINUTE = 10  # code read, not just skimmed


class output_table(nodes.figure):  # noqa: N801 (docutils names nodes in lower case)
    """A notebook output shown as a numbered table."""


def _visit_output_table(self: HTML5Translator, node: nodes.Element) -> None:
    self.visit_figure(node)


def _depart_output_table(self: HTML5Translator, node: nodes.Element) -> None:
    self.depart_figure(node)


def _caption_text(node: nodes.Element) -> str | None:
    caption = next(iter(node.findall(nodes.caption)), None)
    return caption.astext() if caption is not None else None


def _tables_from_figures(app, doctree: nodes.document) -> None:
    for figure in list(doctree.findall(nodes.figure)):
        if type(figure) is nodes.figure and any(i.startswith("tbl-") for i in figure["ids"]):
            table = output_table(figure.rawsource, *figure.children, **figure.attributes)
            table["classes"].append("output-table")
            caption = next(iter(table.findall(nodes.caption)), None)
            if caption is not None:        # a table's caption goes above it
                table.remove(caption)
                table.insert(0, caption)
            figure.replace_self(table)
            for node_id in table["ids"]:   # the document's index of ids still points at the old node
                doctree.ids[node_id] = table


def chapter_facts(notebook: Path, times: dict) -> dict:
    """Reading minutes, run seconds per profile and prerequisites of one chapter notebook."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    prose = " ".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    words = len(re.sub(r"\{[a-z:]+\}`[^`]*`|\$[^$]*\$", "x", prose).split())
    code_lines = sum(len("".join(c["source"]).splitlines()) for c in nb["cells"] if c["cell_type"] == "code")
    minutes = words / WORDS_PER_MINUTE + code_lines / CODE_LINES_PER_MINUTE
    runs = {p: (times.get(notebook.stem) or {}).get(p) for p in PROFILES}
    card = read_run_card(nb["cells"])
    if card:
        runs[card["profile"]] = {"seconds": card["seconds"], "committed": True}
    return {"reading_minutes": max(5, 5 * round(minutes / 5)), "runs": runs,
            "builds_on": nb["metadata"].get("hcbook", {}).get("builds_on", [])}


def _duration(run: dict | None) -> str:
    if not run:
        return "not yet run"
    seconds = run["seconds"]
    text = f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"
    return text + (" (this page)" if run.get("committed") else "")


def _doc_link(stem: str) -> addnodes.pending_xref:
    ref = addnodes.pending_xref("", refdomain="std", reftype="doc", reftarget=f"/chapters/{stem}",
                                refexplicit=False, refwarn=True)
    ref += nodes.literal(stem, stem)
    return ref


def _facts_paragraphs(facts: dict) -> list[nodes.Node]:
    reading = nodes.paragraph("", f"Reading: about {facts['reading_minutes']} min.  Run time: "
                              + ", ".join(f"{p} {_duration(facts['runs'][p])}" for p in PROFILES) + ".")
    builds = nodes.paragraph("", "Builds on: ")
    if facts["builds_on"]:
        for i, stem in enumerate(facts["builds_on"]):
            builds += [nodes.Text(", ")] if i else []
            builds += _doc_link(stem)
    else:
        builds += nodes.Text("nothing before it; start here.")
    return [reading, builds]


def _run_times(app) -> dict:
    path = Path(app.srcdir) / "chapters" / "run_times.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _add_chapter_box(app, doctree: nodes.document) -> None:
    docname = app.env.docname
    if not docname.startswith("chapters/"):
        return
    notebook = Path(app.env.doc2path(docname))
    if notebook.suffix != ".ipynb":
        return
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None:
        return
    box = nodes.container(classes=["chapter-info"])
    box.extend(_facts_paragraphs(chapter_facts(notebook, _run_times(app))))
    section.insert(1, box)
    app.env.note_dependency(str(Path(app.srcdir) / "chapters" / "run_times.json"))


class ChapterTable(SphinxDirective):
    """``{chapter-table}``: reading time, run times and prerequisites of every chapter."""

    def run(self) -> list[nodes.Node]:
        chapters = sorted((Path(self.env.srcdir) / "chapters").glob("*.ipynb"))
        times = _run_times(self.env.app)
        header = ["chapter", "reading", *[f"run ({p})" for p in PROFILES], "builds on"]
        table = nodes.table(classes=["chapter-table"])
        group = nodes.tgroup(cols=len(header))
        table += group
        group.extend(nodes.colspec(colwidth=1) for _ in header)
        head, body = nodes.thead(), nodes.tbody()
        group += [head, body]
        head += self._row([nodes.Text(h) for h in header])
        for path in chapters:
            facts = chapter_facts(path, times)
            builds = nodes.inline()
            for i, stem in enumerate(facts["builds_on"]):
                builds += [nodes.Text(", ")] if i else []
                builds += _doc_link(stem)
            body += self._row([_doc_link(path.stem), nodes.Text(f"{facts['reading_minutes']} min"),
                               *[nodes.Text(_duration(facts["runs"][p]).replace(" (this page)", "")) for p in PROFILES],
                               builds if facts["builds_on"] else nodes.Text("–")])
            self.env.note_dependency(str(path))
        return [table]

    @staticmethod
    def _row(cells: list[nodes.Node]) -> nodes.row:
        row = nodes.row()
        for content in cells:
            entry = nodes.entry()
            entry += nodes.paragraph("", "", content)
            row += entry
        return row


def _add_stylesheet(app) -> None:
    app.config.html_static_path.append(str(Path(__file__).parent / "static"))
    app.add_css_file("chapter_pages.css")


def setup(app):
    app.connect("builder-inited", _add_stylesheet)
    app.add_enumerable_node(output_table, "table", _caption_text,
                            html=(_visit_output_table, _depart_output_table))
    app.connect("doctree-read", _tables_from_figures)
    app.connect("doctree-read", _add_chapter_box)
    app.add_directive("chapter-table", ChapterTable)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
