"""nbval settings for the chapters: compare what a reader reads, not the glue records.

A cell marked ``# NBVAL_CHECK_OUTPUT`` prints a check (for instance "match autograd: True");
the value it glues next to it may be a rounding error such as 4.9e-15 that differs from one
CPU to the next. The printed text is compared; the glue record is checked by
tests/test_notebooks.py against the prose instead.
"""

GLUE_RECORDS = ("application/papermill.record/text/plain", "application/papermill.record/text/html")


def pytest_collectstart(collector):
    if getattr(collector, "fspath", None) is not None and collector.fspath.ext == ".ipynb":
        collector.skip_compare += GLUE_RECORDS
