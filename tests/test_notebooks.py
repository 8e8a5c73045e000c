"""The committed chapters: outputs of a real cpu/gpu run, run card first, clean and small."""
import re
from pathlib import Path

import nbformat
import pytest

from hclib.prose import METADATA_KEY, stored_results

CHAPTERS = sorted(Path(__file__).parents[1].glob("chapters/*.ipynb"))
MACHINE_PATH = re.compile(r"(/work/|/home/|/root/|/Users/|/tmp/|site-packages|[A-Z]:\\\\)")
GLUE_ROLE = re.compile(r"\{glue(?::[a-z]*)?\}`[^`]*`")   # shows raw in JupyterLab: use {eval}`glued("name:spec")`
MAX_BYTES = 3 * 2**20
MAX_LINE = 100          # characters a line of code, so no cell runs off the page
NUMREF = re.compile(r"\{numref\}`(?:[^`<]*<)?((?:fig|tbl)-[a-z0-9-]+)>?`")
EXERCISE = re.compile(r":::\{exercise\}[^\n]*\n:label: ([a-z0-9-]+)")
SOLUTION = re.compile(r":::\{solution\} ([a-z0-9-]+)\n:class: dropdown")


def texts(nb):
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            yield cell, out, out.get("text") or "".join(str(v) for k, v in out.get("data", {}).items()
                                                      if k.startswith("text/"))


def test_there_are_chapters():
    assert CHAPTERS, "no notebooks in chapters/"


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.name for p in CHAPTERS])
def test_chapter_is_committed_as_run(path):
    assert path.stat().st_size <= MAX_BYTES, f"{path.name} is {path.stat().st_size / 2**20:.1f} MB; keep it under 3 MB"
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    outputs = list(texts(nb))
    assert outputs, f"{path.name} has no outputs: run it with `make run PROFILE=cpu`"
    first = outputs[0][2]
    assert first.startswith("Run card"), f"{path.name}: the first output must be the run card"
    profile = re.search(r"profile\s+(\w+)", first).group(1)
    assert profile in ("cpu", "gpu"), f"{path.name} carries outputs of a {profile!r} run; commit a cpu or gpu run"
    for cell, out, text in outputs:
        assert out.get("output_type") != "error", f"{path.name}: cell {cell.get('id')} has an error output"
        assert not MACHINE_PATH.search(text), f"{path.name}: cell {cell.get('id')} shows a machine path: " \
                                              f"{MACHINE_PATH.search(text).group(0)!r}"
    assert "Finished in" in outputs[-1][2], f"{path.name}: the last output must be the run card's closing line"
    for cell, out, _ in outputs:
        glued = out.get("data", {}).get("application/papermill.record/text/plain", "")
        assert not glued.startswith("np."), f"{path.name}: glue a Python number, not {glued[:30]} (use float())"


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.name for p in CHAPTERS])
def test_chapter_follows_the_conventions(path):
    nb = nbformat.read(path, as_version=4)
    source = "\n".join(c.source for c in nb.cells)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert re.search(r"\d{3}_[0-9a-f]{16}\.txt", nb.cells[0].source), "the first cell names the source document"
    assert "run_card(" in nb.cells[1].source, "the first code cell makes the run card"
    assert "sizes(" in source, "the notebook declares its sizes per profile"
    assert "## Key terms" in markdown and re.search(r"[\u4e00-\u9fff]", markdown), "key terms, with Chinese"
    assert "What the document says" in markdown
    assert "## Summary" in markdown and "## Exercises" in markdown and ":class: dropdown" in markdown
    assert not GLUE_ROLE.search(markdown), f"{path.name}: {GLUE_ROLE.search(markdown).group(0)} shows raw in " \
        "JupyterLab; write {eval}`glued(\"name:spec\")` (python scripts/convert_glue_to_eval.py converts)"
    # every number in prose comes from the committed outputs: each {eval} is glued("name:spec") of a glued
    # name, and the result stored with its cell (what JupyterLab and the site show) is that glued value
    for cell, expected, missing in stored_results(nb):
        assert not missing, f"{path.name}: cell {cell.get('id')} shows values nothing glued: {missing}"
        stored = {e["expression"]: e["result"] for e in cell.metadata.get(METADATA_KEY, [])}
        for entry in expected:
            got = stored.get(entry["expression"], {})
            assert (got.get("status"), got.get("data")) == ("ok", entry["result"]["data"]), \
                f"{path.name}: cell {cell.get('id')}: {{eval}}`{entry['expression']}` stores {got.get('data')}, " \
                f"the glued value gives {entry['result']['data']}: re-run the chapter (make run) or " \
                "python scripts/convert_glue_to_eval.py"
    assert "NBVAL_CHECK_OUTPUT" in source


def shown_outputs(cell):
    """Outputs a reader sees (glue records with display=False are not shown)."""
    return [o for o in cell.get("outputs", []) if o.get("output_type") in ("display_data", "execute_result")
            and not all(k.startswith("application/papermill.record/") for k in o.get("data", {}))]


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.name for p in CHAPTERS])
def test_figures_are_numbered_with_captions(path):
    nb = nbformat.read(path, as_version=4)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    cited = set(NUMREF.findall(markdown))
    figures = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        spec = cell.metadata.get("mystnb", {}).get("figure")
        images = [o for o in shown_outputs(cell) if "image/png" in o.get("data", {})]
        if images:
            assert spec, f"{path.name}: cell {cell.get('id')} shows a figure with no number or caption; add " \
                         "metadata mystnb.figure = {name: fig-..., caption: ...}"
        if not spec:
            continue
        figures += 1
        name, caption = spec.get("name", ""), spec.get("caption", "")
        assert re.fullmatch(r"(fig|tbl)-[a-z0-9-]+", name), f"{path.name}: figure name {name!r} must be fig-... or tbl-..."
        assert len(caption.split()) >= 8, f"{path.name}: {name}'s caption must say what to look at: {caption!r}"
        rich = [o for o in shown_outputs(cell) if {"image/png", "text/html"} & set(o.get("data", {}))]
        assert len(rich) == 1, f"{path.name}: {name}'s cell must show exactly one figure or table (move glue " \
                               "calls and other displays to the next cell)"
        assert name in cited, f"{path.name}: prose never cites {name} ({{numref}}`{name}`)"
    assert cited <= {c.metadata.get("mystnb", {}).get("figure", {}).get("name") for c in nb.cells}, \
        f"{path.name}: prose cites figures that do not exist"
    print(f"{path.name}: {figures} numbered figures and tables")


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.name for p in CHAPTERS])
def test_code_fits_the_page(path):
    nb = nbformat.read(path, as_version=4)
    long = [(c.get("id"), len(line)) for c in nb.cells if c.cell_type == "code" for line in c.source.splitlines()
            if len(line) > MAX_LINE]
    assert not long, f"{path.name}: code lines over {MAX_LINE} characters (cell id, length): {long[:5]}"


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.name for p in CHAPTERS])
def test_exercises_and_prerequisites(path):
    nb = nbformat.read(path, as_version=4)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    exercises, solutions = EXERCISE.findall(markdown), SOLUTION.findall(markdown)
    assert len(exercises) >= 3, f"{path.name}: fewer than three numbered exercises ({{exercise}} with :label:)"
    assert sorted(exercises) == sorted(solutions), f"{path.name}: each exercise needs one folded solution; " \
                                                   f"exercises {exercises}, solutions {solutions}"
    assert "Solution\n:class: dropdown" not in markdown, f"{path.name}: solutions go in {{solution}} directives"
    builds_on = nb.metadata.get("hcbook", {}).get("builds_on")
    assert isinstance(builds_on, list), f"{path.name}: notebook metadata hcbook.builds_on lists the chapters it needs"
    stems = {p.stem for p in CHAPTERS}
    assert set(builds_on) <= stems - {path.stem}, f"{path.name}: builds_on names unknown chapters: {builds_on}"
