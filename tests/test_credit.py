import numpy as np
import pytest

from hclib.credit import credit_logistic, feature_of
from hclib.data import load_credit


def test_model_fits_and_columns_map_back():
    df = load_credit()
    model = credit_logistic().fit(df.drop(columns="default"), df["default"])
    names = model[0].get_feature_names_out()
    mapping = feature_of(model)
    assert set(mapping) == set(names)
    assert mapping["cat__Home_owner"] == "Home" and mapping["num__Income"] == "Income"
    assert mapping["num__missingindicator_Income"] == "Income"
    p = model.predict_proba(df.drop(columns="default"))[:, 1]
    assert np.all((p > 0) & (p < 1))


def test_bad_input():
    with pytest.raises(ValueError, match="C"):
        credit_logistic(C=0)
    with pytest.raises(ValueError, match="fit"):
        feature_of(credit_logistic())
