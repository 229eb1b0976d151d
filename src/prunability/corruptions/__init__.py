"""Common corruptions of CIFAR-10-C (Hendrycks & Dietterich 2019, ICLR), in torch.

``CORRUPTIONS`` maps a name to a ``Corruption`` (group, five severity
parameters from make_cifar_c.py, batched function on float images in [0, 1]);
``corrupt`` and ``corrupt_all_severities`` take and return uint8 images
N x C x H x W on any device, with seeded, reproducible randomness.
"""

from prunability.corruptions.registry import (
    COMMON_CORRUPTIONS,
    CORRUPTIONS,
    EXTRA_CORRUPTIONS,
    GROUPS,
    SEVERITIES,
    Corruption,
    check_severity,
    register_corruption,
)
from prunability.corruptions.apply import (
    corrupt,
    corrupt_all_severities,
    generator_seed,
    make_generator,
    to_uint8,
    to_unit_float,
)

# Importing the modules registers their corruptions, in benchmark order of groups.
from prunability.corruptions import noise as _noise  # noqa: F401,E402
from prunability.corruptions import blur as _blur  # noqa: F401,E402
from prunability.corruptions import weather as _weather  # noqa: F401,E402
from prunability.corruptions import spatter as _spatter  # noqa: F401,E402
from prunability.corruptions import digital as _digital  # noqa: F401,E402

__all__ = [
    "COMMON_CORRUPTIONS", "CORRUPTIONS", "EXTRA_CORRUPTIONS", "GROUPS", "SEVERITIES",
    "Corruption", "check_severity", "corrupt", "corrupt_all_severities", "generator_seed",
    "make_generator", "register_corruption", "to_uint8", "to_unit_float",
]
