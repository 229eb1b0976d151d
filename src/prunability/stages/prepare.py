"""prepare_data: load the configured dataset once and save it as tensors."""

from __future__ import annotations

from prunability import io
from prunability.config import StudyConfig
from prunability.data import DATASETS, PreparedData
from prunability.data.keep import with_kept_examples
from prunability.data.label_noise import with_label_noise
from prunability.layout import Layout


def run(config: StudyConfig, layout: Layout) -> None:
    d = config.dataset
    split = with_label_noise(DATASETS.get(d.name)(d), d.label_noise, d.split_seed)
    split = with_kept_examples(split, d.keep_fraction, d.keep_by, d.keep_scores, d.split_seed)
    data = PreparedData.from_split(split, config.dataset.train_eval_size, config.dataset.split_seed)
    data.save(layout.prepared)
    s = data.split
    io.write_json({"dataset": config.dataset.name, "n_train": len(s.x_train), "n_test": len(s.x_test),
                   "n_train_eval": len(data.train_eval_index), "image_shape": list(s.x_train.shape[1:]),
                   "num_classes": s.num_classes}, layout.data_info)
    print(f"prepared {config.dataset.name}: {len(s.x_train)} train, {len(s.x_test)} test, "
          f"images {tuple(s.x_train.shape[1:])}, {s.num_classes} classes -> {layout.prepared}")
