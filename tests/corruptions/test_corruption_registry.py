"""The registry: names, groups, verbatim make_cifar_c.py parameter tables, errors."""

import numpy as np
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
    "shot_noise": ("noise", (500, 250, 100, 75, 50)),
    "impulse_noise": ("noise", (0.01, 0.02, 0.03, 0.05, 0.07)),
    "speckle_noise": ("noise", (0.06, 0.1, 0.12, 0.16, 0.2)),
    "defocus_blur": ("blur", ((0.3, 0.4), (0.4, 0.5), (0.5, 0.6), (1, 0.2), (1.5, 0.1))),
    "glass_blur": ("blur", ((0.05, 1, 1), (0.25, 1, 1), (0.4, 1, 1), (0.25, 1, 2), (0.4, 1, 2))),
    "motion_blur": ("blur", ((6, 1), (6, 1.5), (6, 2), (8, 2), (9, 2.5))),
    "snow": ("weather", ((0.1, 0.2, 1, 0.6, 8, 3, 0.95), (0.1, 0.2, 1, 0.5, 10, 4, 0.9),
                         (0.15, 0.3, 1.75, 0.55, 10, 4, 0.9), (0.25, 0.3, 2.25, 0.6, 12, 6, 0.85),
                         (0.3, 0.3, 1.25, 0.65, 14, 12, 0.8))),
    "frost": ("weather", ((1, 0.2), (1, 0.3), (0.9, 0.4), (0.85, 0.4), (0.75, 0.45))),
    "frost_procedural": ("weather", ((1, 0.2), (1, 0.3), (0.9, 0.4), (0.85, 0.4), (0.75, 0.45))),
    "fog": ("weather", ((0.2, 3), (0.5, 3), (0.75, 2.5), (1, 2), (1.5, 1.75))),
    "brightness": ("weather", (0.05, 0.1, 0.15, 0.2, 0.3)),
    "spatter": ("weather", ((0.62, 0.1, 0.7, 0.7, 0.5, 0), (0.65, 0.1, 0.8, 0.7, 0.5, 0), (0.65, 0.3, 1, 0.69, 0.5, 0),
                            (0.65, 0.1, 0.7, 0.69, 0.6, 1), (0.65, 0.1, 0.5, 0.68, 0.6, 1))),
    "elastic_transform": ("digital", ((0.0, 0.0, 2.56), (1.6, 6.4, 2.24), (2.56, 1.92, 1.92),
                                      (3.2, 1.28, 1.6), (3.2, 0.96, 0.96))),
    "pixelate": ("digital", (0.95, 0.9, 0.85, 0.75, 0.65)),
    "jpeg_compression": ("digital", (80, 65, 58, 50, 40)),
    "saturate": ("digital", ((0.3, 0), (0.1, 0), (1.5, 0), (2, 0.1), (2.5, 0.2))),
}


def test_zoom_blur_factors_are_make_cifar_c_aranges():
    factors = CORRUPTIONS.get("zoom_blur").params
    assert [len(f) for f in factors] == [7, 12, 16, 21, 26]  # floating-point np.arange, as in the reference
    assert all(f[0] == 1.0 and abs(f[1] - 1.01) < 1e-12 for f in factors)


def test_registered_names():
    # grouped (noise, blur, weather, digital), each group's extra last
    assert CORRUPTIONS.names() == [
        "gaussian_noise", "shot_noise", "impulse_noise", "speckle_noise",
        "defocus_blur", "glass_blur", "motion_blur", "zoom_blur", "gaussian_blur",
        "snow", "frost", "frost_procedural", "fog", "brightness", "spatter",
        "contrast", "elastic_transform", "pixelate", "jpeg_compression", "saturate",
    ]
    # the 19 of CIFAR-10-C, plus the synthetic frost under its own name (not a benchmark corruption)
    assert set(CORRUPTIONS.names()) == set(COMMON_CORRUPTIONS) | set(EXTRA_CORRUPTIONS) | {"frost_procedural"}
    assert not CORRUPTIONS.get("frost_procedural").common


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_parameter_tables_are_exact(name):
    corruption = CORRUPTIONS.get(name)
    group, params = EXPECTED[name]
    assert corruption.name == name
    assert corruption.group == group
    if name == "elastic_transform":  # IMSIZE * (...) in floating point
        assert np.allclose(corruption.params, params, rtol=0, atol=1e-12)
    else:
        assert corruption.params == params
    assert [corruption.param(s) for s in SEVERITIES] == list(params)


def test_benchmark_lists():
    assert len(COMMON_CORRUPTIONS) == 15 and len(EXTRA_CORRUPTIONS) == 4
    assert not set(COMMON_CORRUPTIONS) & set(EXTRA_CORRUPTIONS)
    assert set(CORRUPTIONS.names()) - {"frost_procedural"} <= set(COMMON_CORRUPTIONS) | set(EXTRA_CORRUPTIONS)
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
