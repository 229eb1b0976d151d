"""prepare_data: load the configured dataset once and save it as tensors."""

from __future__ import annotations

from prunability.config import StudyConfig
from prunability.data import DATASETS, PreparedData
from prunability.layout import Layout


def run(config: StudyConfig, layout: Layout) -> None:
    split = DATASETS.get(config.dataset.name)(config.dataset)
    data = PreparedData.from_split(split, config.dataset.train_eval_size, config.dataset.split_seed)
    data.save(layout.prepared)
    s = data.split
    print(f"prepared {config.dataset.name}: {len(s.x_train)} train, {len(s.x_test)} test, "
          f"images {tuple(s.x_train.shape[1:])}, {s.num_classes} classes -> {layout.prepared}")
