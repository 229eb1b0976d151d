"""The registry: names, groups, verbatim make_cifar_c.py parameter tables, errors."""

import pytest
import torch

from prunability.corruptions import (
    COMMON_CORRUPTIONS,
    CORRUPTIONS,
    EXTRA_CORRUPTIONS,
    GROUPS,
    SEVERITIES,
    Corruption,
    check_severity,
    corrupt,
    corrupt_all_severities,
)
from prunability.registry import UnknownNameError

# Copied from hendrycks/robustness ImageNet-C/create_c/make_cifar_c.py @ ca36008.
EXPECTED = {
    "gaussian_noise": ("noise", (0.04, 0.06, 0.08, 0.09, 0.10)),
    "gaussian_blur": ("blur", (0.4, 0.6, 0.7, 0.8, 1.0)),
    "contrast": ("digital", (0.75, 0.5, 0.4, 0.3, 0.15)),
}


def test_registered_names():
    assert CORRUPTIONS.names() == ["gaussian_noise", "gaussian_blur", "contrast"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_parameter_tables_are_exact(name):
    corruption = CORRUPTIONS.get(name)
    group, params = EXPECTED[name]
    assert corruption.name == name
    assert corruption.group == group
    assert corruption.params == params
    assert [corruption.param(s) for s in SEVERITIES] == list(params)


def test_benchmark_lists():
    assert len(COMMON_CORRUPTIONS) == 15 and len(EXTRA_CORRUPTIONS) == 4
    assert not set(COMMON_CORRUPTIONS) & set(EXTRA_CORRUPTIONS)
    assert set(CORRUPTIONS.names()) <= set(COMMON_CORRUPTIONS) | set(EXTRA_CORRUPTIONS)
    assert CORRUPTIONS.get("gaussian_noise").common
    assert CORRUPTIONS.get("contrast").common
    assert not CORRUPTIONS.get("gaussian_blur").common


def test_corruption_validates_group_and_table():
    with pytest.raises(ValueError, match="noise, blur, weather, digital"):
        Corruption("x", "colour", (1, 2, 3, 4, 5), lambda x, p, g: x)
    with pytest.raises(ValueError, match="5 severity parameters"):
        Corruption("x", "noise", (1, 2, 3), lambda x, p, g: x)
    assert GROUPS == ("noise", "blur", "weather", "digital")


@pytest.mark.parametrize("bad", [0, 6, -1, 2.5, "3", True, None])
def test_severity_out_of_range_names_valid_range(bad):
    with pytest.raises(ValueError, match=r"1\.\.5"):
        check_severity(bad)
    x = torch.zeros(1, 3, 8, 8, dtype=torch.uint8)
    with pytest.raises(ValueError, match=r"1\.\.5"):
        corrupt(x, "contrast", bad, seed=0)
    with pytest.raises(ValueError, match=r"1\.\.5"):
        corrupt_all_severities(x, "contrast", [1, bad], seed=0)
    with pytest.raises(ValueError, match=r"1\.\.5"):
        CORRUPTIONS.get("contrast").param(bad)


def test_severity_accepts_integer_likes():
    assert check_severity(3) == 3
    assert check_severity(torch.tensor(5).item()) == 5


def test_unknown_name_lists_valid_names():
    x = torch.zeros(1, 3, 8, 8, dtype=torch.uint8)
    for call in (lambda: corrupt(x, "gausian_noise", 1, seed=0),
                 lambda: corrupt_all_severities(x, "gausian_noise", SEVERITIES, seed=0)):
        with pytest.raises(UnknownNameError) as info:
            call()
        message = str(info.value)
        assert "gausian_noise" in message
        for name in CORRUPTIONS.names():
            assert name in message
