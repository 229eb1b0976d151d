"""The package against statistics recorded from make_cifar_c.py's recipes (reference_recorder.py).

For each recorded corruption and severity, on the recorder's fixed image set:
the mean absolute change and the mean standard deviation of the corrupted
images. Deterministic corruptions whose reference is PIL or numpy arithmetic
(pixelate, jpeg_compression, contrast) must agree exactly; the blurs within
0.5 % (float32 vs float64 arithmetic before uint8 truncation); random ones
(noise, spatter) within four standard errors of the difference of two
independent draws.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from prunability.corruptions import corrupt_all_severities

from corruption_images import smooth_uint8

RECORD = json.loads(Path(__file__).with_name("reference_stats.json").read_text())
EXACT = {"pixelate", "jpeg_compression", "contrast"}


def _images():
    return smooth_uint8(200, 3, 32, 32, seed=14)  # reference_recorder.reference_images, N x C x H x W


@pytest.mark.parametrize("name", sorted(RECORD["stats"]))
def test_statistics_match_the_reference(name):
    x = _images()
    entry = RECORD["stats"][name]
    outs = corrupt_all_severities(x, name, [1, 2, 3, 4, 5], seed=0)
    for s, out in outs.items():
        ref = entry["severities"][str(s)]
        diff = (out.double() - x.double()).abs().mean(dim=(1, 2, 3)).numpy()
        change = float(diff.mean())
        spread = float(out.double().reshape(len(x), -1).std(dim=1, correction=0).mean())
        if name in EXACT:
            assert change == pytest.approx(ref["mean_abs_change"], abs=1e-9), s
            assert spread == pytest.approx(ref["std"], abs=1e-9), s
        elif entry["deterministic"]:
            assert change == pytest.approx(ref["mean_abs_change"], rel=5e-3), s
            assert spread == pytest.approx(ref["std"], rel=5e-3), s
        else:
            tolerance = 4 * np.sqrt(2) * ref["se_change"]
            assert abs(change - ref["mean_abs_change"]) <= tolerance, (s, change, ref["mean_abs_change"], tolerance)
            assert spread == pytest.approx(ref["std"], rel=1e-2), s
