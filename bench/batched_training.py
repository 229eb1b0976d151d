"""Training throughput of a zoo: stacked (prunability.train_batched) vs one model at a time.

The zoo of a study (default: config/config.yaml, 24 NiNs on the digits) is
trained twice in one process, on the same data and settings:

- one at a time: ``train.train_model`` per model, as the train stage runs it;
- batched: ``train_batched.train_models``, models grouped by structure and
  batch size (for the default zoo: 4 groups of 6 — seeds × training shares).

Both follow the whole protocol (per-epoch evaluation and dead-neuron rates,
stopping at the target cross-entropy), so the figure is what a zoo run gains.
Throughput is model-steps per second: optimizer steps summed over the zoo,
divided by wall time. The script checks that both runs took the same number
of steps per model and prints the largest weight difference (training to a
target cross-entropy is chaotic: a 1e-7 change of a model's init can move
its stopping epoch, so a few models may differ in steps). ``--compile`` runs
both with ``training.compile`` (compilation time included). Where CUDA exists,
the same is measured on the GPU.

    .venv/bin/python bench/batched_training.py [--config config/config.yaml] [--max-epochs N] [--threads 1] [--compile]

It also prints the ceiling that the zoo's structure puts on any stacking:
models stop at different steps, so a group needs at least as many stacked
calls as its longest-training model takes steps, and if a stacked call cost
no more than one model's step, throughput would grow by at most
(model-steps) / (sum over groups of the longest model's steps).

Numbers depend on the machine and its load; compare the ratio of one run.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import torch

from prunability import config as study_config
from prunability.data import DATASETS
from prunability.data.split import PreparedData
from prunability.data.train_subset import training_subset
from prunability.evaluation import EvalContext
from prunability.train import train_model
from prunability.train_batched import groups, train_models
from prunability.zoo import expand

ROOT = Path(__file__).resolve().parents[1]


def zoo(config_path: Path, device: torch.device):
    config = study_config.load(config_path)
    split = DATASETS.get(config.dataset.name)(config.dataset)
    data = PreparedData.from_split(split, config.dataset.train_eval_size, config.dataset.split_seed)
    data = PreparedData(dataclasses.replace(split, **{k: getattr(split, k).to(device) for k in
                                                       ("x_train", "y_train", "x_test", "y_test")}),
                        data.mean, data.std, data.train_eval_index.to(device))
    specs = expand(config)
    datas = [training_subset(data, float(s.hparams.train_fraction), config.dataset.split_seed,
                             config.dataset.train_eval_size) for s in specs]
    return config, specs, datas


def measure(config, specs, datas, device: torch.device, cfg) -> dict:
    """Group by group, one at a time then batched (interleaved, so that a change of the
    machine's load between the two runs biases the ratio less)."""
    ctx = EvalContext.of(config, device)
    alone, batched, t_alone, t_batched = [None] * len(specs), [None] * len(specs), 0.0, 0.0
    longest = 0  # per group, the steps of its longest-training model: the fewest stacked calls possible
    for group in groups(specs):
        start = time.perf_counter()
        for i in group:
            alone[i] = train_model(specs[i], cfg, datas[i], ctx)
        t_alone += time.perf_counter() - start
        longest += max(alone[i].steps for i in group)
        start = time.perf_counter()
        for i, r in zip(group, train_models([specs[i] for i in group], cfg, [datas[i] for i in group], ctx)):
            batched[i] = r
        t_batched += time.perf_counter() - start
    same = [a.steps == b.steps and a.status == b.status for a, b in zip(alone, batched)]
    diffs = [max((a.final_state[k].double() - b.final_state[k].double()).abs().max().item() for k in a.final_state)
             for a, b in zip(alone, batched)]
    steps = sum(a.steps for a in alone)
    return {"steps": steps, "alone_s": t_alone, "batched_s": t_batched, "alone_rate": steps / t_alone,
            "batched_rate": sum(b.steps for b in batched) / t_batched, "same_steps": all(same),
            "max_diff": max(d for d, s in zip(diffs, same) if s) if any(same) else float("nan"),
            "other_steps": [(specs[i].model_id, alone[i].steps, batched[i].steps, diffs[i])
                            for i in range(len(specs)) if not same[i]],
            "statuses": sorted({str(a.status) for a in alone}), "ceiling": steps / longest}


def report(label: str, r: dict) -> None:
    print(f"[{label}] {r['steps']} model-steps; statuses {r['statuses']}; same steps and status per model: "
          f"{r['same_steps']}; largest final-weight difference of those models {r['max_diff']:.2e}")
    for model_id, alone, batched, diff in r["other_steps"]:
        print(f"[{label}]   {model_id} stopped at another step: {alone} alone, {batched} batched "
              f"(final weights differ by up to {diff:.2e})")
    print(f"[{label}] one at a time: {r['alone_s']:.1f} s = {r['alone_rate']:.0f} model-steps/s")
    print(f"[{label}] batched:       {r['batched_s']:.1f} s = {r['batched_rate']:.0f} model-steps/s")
    print(f"[{label}] ratio batched / one at a time: {r['batched_rate'] / r['alone_rate']:.2f}x")
    print(f"[{label}] ceiling of any stacking of this zoo: {r['ceiling']:.2f}x (model-steps / the longest model's "
          "steps per group: the ratio if a stacked step cost no more than one model's step)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=ROOT / "config" / "config.yaml")
    parser.add_argument("--max-epochs", type=int, default=None, help="cap training.max_epochs (default: the study's)")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads on the CPU")
    parser.add_argument("--compile", action="store_true", help="both runs with training.compile (torch.compile)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    # the first optimizer a process builds imports torch._dynamo (seconds): not in either timing
    torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    for device in devices:
        config, specs, datas = zoo(args.config, device)
        cfg = dataclasses.replace(config.training, compile=args.compile,
                                  max_epochs=args.max_epochs or config.training.max_epochs)
        sizes = [len(g) for g in groups(specs)]
        print(f"[{device.type}] {len(specs)} models in {len(sizes)} groups of {sizes}; max_epochs {cfg.max_epochs}; "
              f"{torch.get_num_threads()} CPU thread(s); compile {cfg.compile}")
        report(device.type, measure(config, specs, datas, device, cfg))


if __name__ == "__main__":
    main()
