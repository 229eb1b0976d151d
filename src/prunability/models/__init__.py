"""Architectures: a registry of builders and the Classifier that wraps them."""

from prunability.models.registry import ARCHITECTURES, Classifier, build_model

from prunability.models import nin as _nin  # noqa: F401,E402  (registers)
from prunability.models import mlp as _mlp  # noqa: F401,E402
from prunability.models import resnet as _resnet  # noqa: F401,E402
from prunability.models import vgg as _vgg  # noqa: F401,E402
from prunability.models import resnet20 as _resnet20  # noqa: F401,E402

__all__ = ["ARCHITECTURES", "Classifier", "build_model"]
