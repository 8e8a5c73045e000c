"""The credit-risk model: preprocessing and logistic regression on :func:`hclib.data.load_credit`.

Numbers: missing values filled with the median (and a flag column saying so), then standardised.
Categories: missing values filled with the commonest value, then one-hot coded. The cost chapter
fits the same recipe; :func:`feature_of` maps each model column back to the data column it came from,
so attributions can be summed per original feature.

>>> from hclib.data import load_credit
>>> df = load_credit(); model = credit_logistic().fit(df.drop(columns="default"), df["default"])
>>> sorted(set(feature_of(model).values()))[:3]
['Age', 'Amount', 'Assets']
"""
from __future__ import annotations

from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from hclib.data.credit import CATEGORICAL, NUMERIC
from hclib.validate import check_number, check_strings


def preprocess(numeric=NUMERIC, categorical=CATEGORICAL) -> ColumnTransformer:
    """Impute, standardise the numbers and one-hot code the categories (unfitted)."""
    numeric = check_strings("numeric", list(numeric), 0)
    categorical = check_strings("categorical", list(categorical), 0)
    if not numeric and not categorical:
        raise ValueError("numeric and categorical are both empty; name at least one column to model")
    num = make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler())
    cat = make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore"))
    return ColumnTransformer([("num", num, numeric), ("cat", cat, categorical)], verbose_feature_names_out=True)


def credit_logistic(C: float = 1.0, numeric=NUMERIC, categorical=CATEGORICAL) -> Pipeline:
    """:func:`preprocess`, then L2-regularised logistic regression with inverse strength ``C`` (unfitted)."""
    C = check_number("C (inverse regularisation strength)", C, minimum=0, low_open=True)
    return make_pipeline(preprocess(numeric, categorical), LogisticRegression(C=C, max_iter=5000))


def feature_of(model: Pipeline) -> dict[str, str]:
    """Each model column's name (after preprocessing) mapped to the data column it came from."""
    if not isinstance(model, Pipeline) or not hasattr(model[0], "transformers_"):
        raise ValueError("model must be a fitted pipeline from credit_logistic(); call .fit(X, y) first")
    out = {}
    for kind, _, columns in model[0].transformers_:
        if kind not in ("num", "cat"):
            continue
        for name in model[0].named_transformers_[kind].get_feature_names_out(columns):
            source = name.removeprefix("missingindicator_")
            out[f"{kind}__{name}"] = next(c for c in sorted(columns, key=len, reverse=True)
                                          if source == c or source.startswith(c + "_"))
    return out
