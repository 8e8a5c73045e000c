"""Sphinx extension: ``{eval}`expression``` in a chapter shows the result stored with the notebook.

The site is built without executing the notebooks (``execute_notebooks: "off"``), and
myst-nb's own ``{eval}`` role needs a running kernel. The chapters store each inline
expression's result in their markdown cell's metadata (``user_expressions``, the format
jupyterlab-myst writes and reads; ``scripts/run_chapters.py`` stores them from the kernel,
``scripts/convert_glue_to_eval.py`` from the committed glue outputs). This role shows that
stored result as myst-nb's ``{glue:text}`` shows a number (text/plain, quotes stripped; other
results as myst-nb's ``{eval}`` renders them), and
warns (an error under ``-W``) when there is none, so that no number in prose is typed.
"""
from __future__ import annotations

import re

from docutils import nodes
from myst_nb.core.render import NbElementRenderer
from myst_nb.core.variables import VariableOutput, create_warning, render_variable_outputs
from myst_nb.ext.utils import RoleBase

METADATA_KEY = "user_expressions"
_QUOTED = re.compile(r"""(["']).*\1""", re.S)


def _stored(document: nodes.document, expression: str, line: int | None) -> dict | None:
    """The stored result of ``expression`` in the markdown cell at ``line`` (else anywhere in the notebook)."""
    element: NbElementRenderer | None = document.get("nb_renderer")
    if element is None:
        return None
    client = element.renderer.nb_client
    cells = client.notebook.cells
    starts = getattr(client, "_source_map", None) or []
    here = None
    if line is not None and starts:
        before = [i for i, start in enumerate(starts) if start <= line]
        here = before[-1] if before else None
    candidates = ([cells[here]] if here is not None else []) + list(cells)
    for cell in candidates:
        for entry in cell.get("metadata", {}).get(METADATA_KEY, []) if cell.cell_type == "markdown" else []:
            if entry.get("expression") == expression:
                return entry.get("result")
    return None


class StoredEvalRole(RoleBase):
    """``{eval}`expr```: the result of ``expr`` stored in the notebook, rendered like myst-nb's eval."""

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        result = _stored(self.document, self.text, self.line)
        if result is None:
            message = (f"no stored result for {{eval}}`{self.text}`: run the chapter "
                       f"(scripts/run_chapters.py) or scripts/convert_glue_to_eval.py to store it")
            return [], [create_warning(message, self.document, self.line, subtype="eval")]
        if result.get("status") != "ok":
            message = f"{{eval}}`{self.text}` failed when it was stored: {result.get('ename')}: {result.get('evalue')}"
            return [], [create_warning(message, self.document, self.line, subtype="eval")]
        data = result.get("data", {})
        if set(data) == {"text/plain"}:   # a number: shown as myst-nb's {glue:text} shows one
            text = data["text/plain"]
            text = text[1:-1] if _QUOTED.fullmatch(text) else text
            node = nodes.inline(text, text, classes=["pasted-text"])
            self.set_source_info(node)
            return [node], []
        output = VariableOutput(data=result.get("data", {}), metadata={"strip_text_quotes": True},
                                nb_renderer=self.document["nb_renderer"], vtype="eval", index=0)
        return render_variable_outputs([output], self.document, self.line, self.source, inline=True), []


def _register(app) -> None:
    app.add_role("eval", StoredEvalRole(), override=True)


def setup(app):
    app.setup_extension("myst_nb")   # so that this role replaces myst-nb's, not the other way round
    _register(app)
    app.connect("builder-inited", _register)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
