import pytest

from hclib.profiles import PROFILES, active_profile, sizes


def test_env_chooses_profile(monkeypatch):
    for name in PROFILES:
        monkeypatch.setenv("HCLIB_PROFILE", name)
        assert active_profile() == name


def test_default_follows_hardware(monkeypatch):
    import torch

    monkeypatch.delenv("HCLIB_PROFILE", raising=False)
    assert active_profile() == ("gpu" if torch.cuda.is_available() else "cpu")


def test_unknown_profile_lists_allowed(monkeypatch):
    monkeypatch.setenv("HCLIB_PROFILE", "laptop")
    with pytest.raises(ValueError, match="ci, cpu, gpu"):
        active_profile()


def test_sizes_active_and_table(monkeypatch):
    monkeypatch.setenv("HCLIB_PROFILE", "cpu")
    s = sizes(ci=dict(n=1, epochs=1), cpu=dict(n=10, epochs=3), gpu=dict(n=100, epochs=9))
    assert (s.n, s["epochs"], s.profile) == (10, 3, "cpu")
    assert "cpu (active)" in s._repr_html_() and "epochs" in repr(s)


def test_sizes_must_name_the_same_keys():
    with pytest.raises(ValueError, match="missing \\['epochs'\\]"):
        sizes(ci=dict(n=1, epochs=1), cpu=dict(n=2), gpu=dict(n=3, epochs=1))


def test_sizes_need_a_size():
    with pytest.raises(ValueError, match="at least one size"):
        sizes(ci={}, cpu={}, gpu={})


def test_unknown_size_attribute_names_the_sizes(monkeypatch):
    monkeypatch.setenv("HCLIB_PROFILE", "ci")
    s = sizes(ci=dict(n=1), cpu=dict(n=2), gpu=dict(n=3))
    with pytest.raises(AttributeError, match="the sizes are n"):
        s.epochs
