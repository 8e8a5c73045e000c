"""scripts/convert_glue_to_eval.py: glue roles become {eval} expressions with stored results, once."""
import importlib.util
from pathlib import Path

import nbformat

spec = importlib.util.spec_from_file_location("convert_glue_to_eval",
                                              Path(__file__).parents[1] / "scripts" / "convert_glue_to_eval.py")
convert_glue_to_eval = importlib.util.module_from_spec(spec)
spec.loader.exec_module(convert_glue_to_eval)


def chapter(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "chapters").mkdir()
    (tmp_path / "book" / "errata.md").write_text("# Errata of the sources\n\nText.\n")
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("from myst_nb import glue\nglue('demo_auc', 0.83412, display=False)")
    code.outputs = [nbformat.v4.new_output("display_data", data={"application/papermill.record/text/plain": "0.83412"},
                                           metadata={"scrapbook": {"name": "demo_auc", "mime_prefix": ""}})]
    text = nbformat.v4.new_markdown_cell("AUC {glue:text}`demo_auc:.3f`, raw {glue}`demo_auc`; see {doc}`../book/errata`.")
    nb.cells = [code, text]
    return nb, tmp_path / "chapters"


def test_conversion_and_idempotence(tmp_path):
    nb, folder = chapter(tmp_path)
    changes, missing = convert_glue_to_eval.convert(nb, folder)
    assert changes and not missing
    assert nb.cells[0].source.startswith("from hclib.prose import glue, glued\n")
    assert nb.cells[1].source == ('AUC {eval}`glued("demo_auc:.3f")`, raw {eval}`glued("demo_auc")`; '
                                  "see {doc}`Errata of the sources <../book/errata>`.")
    stored = nb.cells[1].metadata["user_expressions"]
    assert [e["result"]["data"]["text/plain"] for e in stored] == ["'0.834'", "'0.83412'"]
    assert convert_glue_to_eval.convert(nb, folder) == ([], [])
    nbformat.validate(nb)
