"""Expected compute of a study, from the measured cost of its networks on this device.

For every distinct network of the zoo (architecture × shape hyperparameters),
this times training steps (forward, backward, optimizer step at the zoo's
batch size) and inference per image on random data of the dataset's shape,
on the device the study would use (``--device``; a GPU when there is one).
Then it counts what the study asks for:

- training: models × ``max_epochs`` × steps per epoch — an upper bound, since
  most models stop earlier at ``target_ce`` (``--epochs`` gives a typical value);
- pruning curves: models × pruning jobs × sparsities × (train-eval + test images);
- corruption evaluation: models × jobs × sparsities × (1 + corruptions × severities) × test images.
The measures stage is not included (its cost depends on the searches; see
bench/measures_speed.py). Training a sparse network (at-init, IMP rounds)
counts as one more training per point.

    .venv/bin/python bench/study_cost.py config/studies/jiang-nin-cifar10.yaml [--epochs 60] [--device cpu]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from prunability.config import load  # noqa: E402
from prunability.data.shapes import image_shape  # noqa: E402
from prunability.device import pick_device  # noqa: E402
from prunability.models import build_model  # noqa: E402
from prunability.optimizers import OPTIMIZERS  # noqa: E402
from prunability.pruning_jobs import pruning_jobs  # noqa: E402
from prunability.zoo import expand  # noqa: E402

# (train, test) images of the full datasets; the default study's digits split 70/30.
SIZES = {"cifar10": (50000, 10000), "cifar100": (50000, 10000), "svhn": (73257, 26032), "mnist": (60000, 10000),
         "fashion_mnist": (60000, 10000), "digits": (1257, 540)}
SHAPE_KEYS = ("architecture", "depth", "width", "batchnorm", "batch_size")


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def _timed(fn, device, repeats: int) -> float:
    fn()  # warm-up (cuDNN autotuning, allocator)
    times = []
    for _ in range(repeats):
        _sync(device)
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def network_cost(spec, shape, classes, device, repeats: int) -> tuple[float, float]:
    """(seconds per training step, seconds per image of inference) of one network."""
    model = build_model(spec.hparams, shape, classes, torch.zeros(shape[0]), torch.ones(shape[0])).to(device)
    optimizer = OPTIMIZERS.get(spec.hparams.optimizer)(model.parameters(), lr=1e-3, weight_decay=0.0)
    x = torch.rand(spec.hparams.batch_size, *shape, device=device)
    y = torch.randint(0, classes, (spec.hparams.batch_size,), device=device)

    def step():
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        optimizer.step()

    train_step = _timed(step, device, repeats)
    model.eval()
    batch = torch.rand(512, *shape, device=device)
    with torch.no_grad():
        infer = _timed(lambda: model(batch), device, repeats) / len(batch)
    return train_step, infer


def study_cost(config, device, epochs: int | None, repeats: int) -> dict:
    shape, classes = image_shape(config.dataset)
    if config.dataset.name == "manifold":  # its size is a setting
        n_test = round(config.dataset.num_samples * config.dataset.test_fraction)
        n_train = config.dataset.num_samples - n_test
    else:
        n_train, n_test = SIZES[config.dataset.name]
    n_eval = config.dataset.train_eval_size or n_train
    epochs = epochs or config.training.max_epochs
    p, c = config.pruning, config.corruptions
    jobs = pruning_jobs(p)
    points = sum(len(p.imp.sparsities()) + 1 if j.is_imp else len(p.sparsities) for j in jobs)
    sparse_trainings = sum(len(p.imp.sparsities()) if j.is_imp else
                           (len(p.sparsities) - 1 if j.schedule == "at_init" else 0) for j in jobs)
    test_sets = 1 + len(c.names) * len(c.severities)
    cache, totals = {}, {"training": 0.0, "pruning curves": 0.0, "corruptions": 0.0}
    specs = expand(config)
    for spec in specs:
        key = tuple(getattr(spec.hparams, k) for k in SHAPE_KEYS)
        if key not in cache:
            cache[key] = network_cost(spec, shape, classes, device, repeats)
        step, image = cache[key]
        trainings = 1 + sparse_trainings
        totals["training"] += trainings * epochs * math.ceil(n_train / spec.hparams.batch_size) * step
        totals["pruning curves"] += points * (n_eval + n_test) * image
        totals["corruptions"] += points * test_sets * n_test * image
    return {"models": len(specs), "networks timed": len(cache), "epochs": epochs,
            "hours": {k: v / 3600 for k, v in totals.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("configs", nargs="+")
    parser.add_argument("--epochs", type=int, help="epochs per training (default: the study's max_epochs, an upper bound)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    device = pick_device(args.device)
    print(f"device: {device} ({torch.get_num_threads()} CPU threads)")
    for path in args.configs:
        cost = study_cost(load(path), device, args.epochs, args.repeats)
        hours = cost["hours"]
        parts = ", ".join(f"{k} {v:,.1f} h" for k, v in hours.items())
        print(f"{path}: {cost['models']:,} models ({cost['networks timed']} networks timed), "
              f"{cost['epochs']} epochs each: {sum(hours.values()):,.1f} {device.type.upper()}-hours ({parts})")


if __name__ == "__main__":
    main()
