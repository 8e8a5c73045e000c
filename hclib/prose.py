"""Numbers in prose: glue a value in a code cell, show it in the text with ``{eval}``.

A chapter's code glues each number it reports::

    from hclib.prose import glue, glued
    glue("credit_logreg_auc", float(auc), display=False)

and its markdown shows the number with an inline expression, which both the site
(myst-nb, through ``book/_ext/stored_eval.py``) and JupyterLab (``jupyterlab-myst``)
render::

    Logistic regression reaches a test AUC of {eval}`glued("credit_logreg_auc:.3f")`.

``glued("name:spec")`` formats the glued value exactly as myst-nb's ``{glue:text}`name:spec```
role would. Each markdown cell keeps the evaluated results of its expressions in its
metadata (``user_expressions``, the format jupyterlab-myst reads and writes), so a chapter
opened without a kernel, and the site built without execution, show the numbers of the
committed run; :func:`stored_results` computes them from the committed glue outputs, and
``scripts/run_chapters.py`` stores them from the kernel when it executes a chapter.
"""
from __future__ import annotations

import ast
import re
from typing import Any, Iterator

#: An inline expression in MyST markdown: ``{eval}`expression```.
EVAL_ROLE = re.compile(r"\{eval\}`([^`]+)`")
#: The one form of expression the chapters use: ``glued("name")`` or ``glued("name:spec")``.
GLUED_CALL = re.compile(r"""^glued\((["'])([a-z][a-z0-9_]*)(?::([^"']*))?\1\)$""")
#: Where myst-nb keeps a glued value's text in a code cell's outputs.
GLUE_MIME = "application/papermill.record/text/plain"
#: The markdown-cell metadata key jupyterlab-myst reads and writes.
METADATA_KEY = "user_expressions"

_GLUED: dict[str, Any] = {}


def glue(name: str, variable: Any, display: bool = True) -> None:
    """Glue ``variable`` under ``name``: myst-nb's ``glue``, remembered for :func:`glued`.

    In a kernel this also writes myst-nb's glue output into the cell (the committed record
    of the number); in plain Python it only remembers the value.

    >>> glue("example_share", 0.12345, display=False)
    >>> glued("example_share:.1%")
    '12.3%'
    """
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise ValueError(f"glue name {name!r}: use snake_case, the chapter's topic first (cnn_test_acc)")
    _GLUED[name] = variable
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with every kernel
        return
    if get_ipython() is not None:
        from myst_nb import glue as myst_glue

        myst_glue(name, variable, display=display)


def format_value(value: Any, spec: str = "") -> str:
    """Format a glued value as myst-nb's ``{glue:text}`` role formats its text.

    The last character of ``spec`` decides the conversion (``d`` to int, ``f``/``%``/``e``/``g``
    to float, ``s`` or nothing to str).

    >>> format_value(1234.5, ",.0f"), format_value(0.8034, ".1%"), format_value(7)
    ('1,234', '80.3%', '7')
    """
    spec = spec or "s"
    kind = spec[-1]
    if kind == "s":
        value = str(value)
    elif kind in "bcdoxX":
        value = int(value)
    elif kind in "eEfFgGn%":
        value = float(value)
    return format(value, spec)


def glued(key: str) -> str:
    """The value glued under ``key`` (``"name"`` or ``"name:spec"``), formatted for prose.

    Write it in markdown as ``{eval}`glued("name:spec")```; the spec is Python's format
    mini-language, as in myst-nb's ``{glue:text}`name:spec```.

    >>> glue("example_rows", 4454, display=False)
    >>> glued("example_rows:,")
    '4,454'
    """
    name, _, spec = key.partition(":")
    if name not in _GLUED:
        raise KeyError(f"nothing glued as {name!r} yet: run the cell that calls glue({name!r}, ...) first")
    return format_value(_GLUED[name], spec)


def expressions(markdown: str) -> list[str]:
    """The distinct ``{eval}`` expressions of a markdown text, in order of appearance.

    >>> expressions('AUC {eval}`glued("a:.3f")`, rows {eval}`glued("n:,")`, again {eval}`glued("a:.3f")`')
    ['glued("a:.3f")', 'glued("n:,")']
    """
    return list(dict.fromkeys(EVAL_ROLE.findall(markdown)))


def glue_values(nb: Any) -> dict[str, str]:
    """Name -> text/plain of every value glued in a notebook's committed outputs."""
    values = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            name = out.get("metadata", {}).get("scrapbook", {}).get("name")
            data = out.get("data", {})
            if name is not None:
                values[name] = data.get(GLUE_MIME, data.get("text/plain", ""))
    return values


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (SyntaxError, ValueError):
        return text


def result_of(expression: str, values: dict[str, str]) -> dict:
    """The stored result of one ``glued(...)`` expression, computed from glued values' text.

    It is what the kernel answers for the expression (a ``user_expressions`` entry): a
    ``str`` whose text/plain is its ``repr``.

    >>> result_of('glued("auc:.3f")', {"auc": "0.80345"})["data"]
    {'text/plain': "'0.803'"}
    """
    match = GLUED_CALL.match(expression.strip())
    if not match:
        raise ValueError(f"{{eval}}`{expression}`: write numbers as glued(\"name:spec\")")
    name, spec = match.group(2), match.group(3) or ""
    if name not in values:
        raise KeyError(f"{{eval}}`{expression}`: nothing is glued as {name!r} in the committed outputs")
    return {"status": "ok", "data": {"text/plain": repr(format_value(_literal(values[name]), spec))},
            "metadata": {}}


def stored_results(nb: Any) -> Iterator[tuple[Any, list[dict], list[str]]]:
    """Each markdown cell with expressions: the ``user_expressions`` its committed glue outputs
    give, and the expressions they cannot give (nothing glued under that name yet)."""
    values = glue_values(nb)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found = expressions(cell.source)
            if found:
                results, missing = [], []
                for e in found:
                    try:
                        results.append({"expression": e, "result": result_of(e, values)})
                    except KeyError:
                        missing.append(e)
                yield cell, results, missing


def shown_text(result: dict) -> str | None:
    """The text a stored result shows in prose (text/plain, quotes stripped), or None."""
    if result.get("status") != "ok" or "text/plain" not in result.get("data", {}):
        return None
    text = result["data"]["text/plain"]
    return text[1:-1] if re.fullmatch(r"""(["']).*\1""", text, flags=re.S) else text
