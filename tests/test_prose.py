"""hclib.prose: glued values formatted as myst-nb's {glue:text} formats them, and stored results."""
import nbformat
import pytest
from myst_nb.core.variables import format_plain_text

from hclib.prose import expressions, format_value, glue, glued, result_of, shown_text, stored_results


@pytest.mark.parametrize("value,spec", [(500524, ","), (0.83412, ".3f"), (0.0831, ".1%"), (3.7e-07, ".1e"),
                                        (69888.4, ",.0f"), (4454, ""), (49.3, ".0f"), (12, "d")])
def test_format_matches_myst_nb_glue_text(value, spec):
    assert format_value(value, spec) == format_plain_text(repr(value), spec or "s")


def test_glued_needs_a_glue_first():
    with pytest.raises(KeyError, match="run the cell"):
        glued("prose_never_glued:.2f")
    glue("prose_auc", 0.8034, display=False)
    assert glued("prose_auc:.2f") == "0.80" and glued("prose_auc") == "0.8034"
    with pytest.raises(ValueError, match="snake_case"):
        glue("Bad Name", 1)


def test_stored_results_come_from_glue_outputs():
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("glue('prose_rows', 4454, display=False)")
    code.outputs = [nbformat.v4.new_output("display_data", data={"application/papermill.record/text/plain": "4454"},
                                           metadata={"scrapbook": {"name": "prose_rows", "mime_prefix": ""}})]
    text = nbformat.v4.new_markdown_cell('The data hold {eval}`glued("prose_rows:,")` loans and {eval}`glued("x")`.')
    nb.cells = [text, code]
    [(cell, results, missing)] = list(stored_results(nb))
    assert cell is text and missing == ['glued("x")']
    assert [shown_text(r["result"]) for r in results] == ["4,454"]
    assert expressions(text.source) == ['glued("prose_rows:,")', 'glued("x")']
    with pytest.raises(ValueError, match="glued"):
        result_of("len(data)", {})
