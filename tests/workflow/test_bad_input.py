"""Bad input stops the run early with one clear sentence and leaves nothing half-written."""

from __future__ import annotations

import sys

import yaml

from .conftest import BIN, ROOT, run


def write_config(tmp_path, **changes):
    raw = yaml.safe_load((ROOT / "config" / "studies" / "tiny.yaml").read_text())
    for dotted, value in changes.items():
        *parents, leaf = dotted.split("__")
        node = raw
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_snakemake_rejects_a_bad_config_before_any_job(tmp_path):
    cfg = write_config(tmp_path, pruning__sparsities=[0.5, 1.5])
    done = run([str(BIN / "snakemake"), "-s", str(ROOT / "Snakefile"), "-n", "--directory", str(tmp_path),
                "--configfile", str(cfg)], tmp_path)
    assert done.returncode != 0
    assert "config key pruning.sparsities.1: 1.5 is greater than or equal to the maximum of 1" in done.stderr + done.stdout
    assert not (tmp_path / "results").exists()


def test_unknown_method_names_the_choices(tmp_path):
    cfg = write_config(tmp_path, pruning__methods=["snip_typo"])
    done = run([sys.executable, "-m", "prunability", "check", "--config", str(cfg)], tmp_path)
    assert done.returncode == 2
    assert "pruning.methods.0: 'snip_typo' is not valid; choose one of: global_magnitude" in done.stderr


def test_missing_dataset_says_where_to_put_it(tmp_path):
    cfg = write_config(tmp_path, dataset__name="cifar10", dataset__root=str(tmp_path / "data"))
    done = run([sys.executable, "-m", "prunability", "prepare", "--config", str(cfg),
                "--results", str(tmp_path / "results")], tmp_path)
    assert done.returncode == 2
    assert str(tmp_path / "data" / "cifar-10-batches-py") in done.stderr and "data_batch_1" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "results").exists()


def test_corrupt_checkpoint_is_named(tmp_path):
    cfg = write_config(tmp_path)
    results = tmp_path / "results"
    cli = [sys.executable, "-m", "prunability"]
    assert run(cli + ["prepare", "--config", str(cfg), "--results", str(results)], tmp_path).returncode == 0
    model_id = run(cli + ["zoo", "--config", str(cfg)], tmp_path).stdout.split()[0]
    weights = results / "tiny" / "models" / model_id / "final.pt"
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"not a checkpoint")
    (weights.parent / "result.json").write_text('{"status": "converged"}')
    done = run(cli + ["measures", "--config", str(cfg), "--results", str(results), "--model-id", model_id], tmp_path)
    assert done.returncode == 2
    assert "final.pt" in done.stderr and "corrupt" in done.stderr and "Traceback" not in done.stderr
    assert not (results / "tiny" / "measures").exists()


def test_unreachable_layerwise_sparsity_fails_before_any_job(tmp_path):
    cfg = write_config(tmp_path, pruning__methods=["layerwise_magnitude"], pruning__sparsities=[0.0, 0.999],
                       pruning__imp={"rewinding": []}, pruning__baselines={})  # (nor could IMP, whose baselines go too)
    done = run([str(BIN / "snakemake"), "-s", str(ROOT / "Snakefile"), "-n", "--directory", str(tmp_path),
                "--configfile", str(cfg)], tmp_path)
    assert done.returncode != 0
    out = done.stderr + done.stdout
    assert "pruning job 'layerwise_magnitude'" in out and "would remove every weight of tensor" in out
    assert "use sparsities below" in out
    assert not (tmp_path / "results").exists()


def test_imp_rounds_that_cannot_reach_the_sparsities_fail_in_check(tmp_path):
    cfg = write_config(tmp_path, pruning__imp={"rewinding": ["weights"], "rate": 0.2, "rounds": 3})
    done = run([sys.executable, "-m", "prunability", "check", "--config", str(cfg)], tmp_path)
    assert done.returncode == 2
    # tiny's largest sparsity is 0.9: 0.8^L ≤ 0.1 needs L ≥ 11
    assert "pruning.imp.rounds: 3 rounds at rate 0.2 reach sparsity 0.488" in done.stderr
    assert "set rounds to at least 11" in done.stderr


def test_unknown_schedule_names_are_rejected(tmp_path):
    cfg = write_config(tmp_path, pruning__imp={"rewinding": ["weight"]})
    done = run([sys.executable, "-m", "prunability", "check", "--config", str(cfg)], tmp_path)
    assert done.returncode == 2
    assert "pruning.imp.rewinding.0: 'weight' is not valid; choose one of: weights, learning_rate" in done.stderr
    cfg = write_config(tmp_path, pruning__at_init=["snipp"])
    done = run([sys.executable, "-m", "prunability", "check", "--config", str(cfg)], tmp_path)
    assert done.returncode == 2 and "pruning.at_init.0: 'snipp' is not valid" in done.stderr


def check(tmp_path, **changes):
    cfg = write_config(tmp_path, **changes)
    return run([sys.executable, "-m", "prunability", "check", "--config", str(cfg)], tmp_path)


def test_nan_and_infinity_are_refused_by_check_and_snakemake(tmp_path):
    for key, value in [("training__target_ce", float("nan")), ("zoo__grid__lr", [float("nan")]),
                       ("zoo__grid__lr", [0.05, float("inf")])]:
        done = check(tmp_path, **{key: value})
        assert done.returncode == 2, key
        assert "NaN and infinity are not allowed; give a finite number" in done.stderr
        assert f"config key {key.replace('__', '.')}" in done.stderr
    cfg = write_config(tmp_path, training__target_ce=float("nan"))
    done = run([str(BIN / "snakemake"), "-s", str(ROOT / "Snakefile"), "-n", "--directory", str(tmp_path),
                "--configfile", str(cfg)], tmp_path)
    assert done.returncode != 0 and "config key training.target_ce: NaN" in done.stderr + done.stdout
    assert not (tmp_path / "results").exists()


def test_a_model_id_outside_the_zoo_is_one_sentence(tmp_path):
    cfg = write_config(tmp_path)
    done = run([sys.executable, "-m", "prunability", "train", "--config", str(cfg), "--results",
                str(tmp_path / "results"), "--model-id", "nin-0123456789"], tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "model id 'nin-0123456789' is not in the zoo of study 'tiny'" in done.stderr
    assert "python -m prunability zoo" in done.stderr


def test_an_unwritable_results_folder_is_one_sentence(tmp_path):
    # /sys refuses new folders even to root, for whom a chmod'ed folder would not do
    cfg = write_config(tmp_path)
    done = run([sys.executable, "-m", "prunability", "prepare", "--config", str(cfg), "--results", "/sys/results"],
               tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "cannot write /sys/results" in done.stderr and "permission denied" in done.stderr


def test_filter_pruning_of_a_network_without_convolutions_fails_in_check(tmp_path):
    done = check(tmp_path, zoo__grid__architecture=["mlp"], pruning__methods=["l1_filter"])
    assert done.returncode == 2
    assert "'l1_filter' prunes convolution filters, and this network has no convolution" in done.stderr


def test_a_gpu_study_on_a_machine_without_one_fails_before_any_job(tmp_path):
    import torch

    if torch.cuda.is_available():
        return  # the refusal is for machines without a GPU; this one has one
    done = check(tmp_path, device="cuda")
    assert done.returncode == 2 and "config key device: 'cuda', but torch sees no CUDA GPU" in done.stderr
    cfg = write_config(tmp_path, device="cuda")
    done = run([str(BIN / "snakemake"), "-s", str(ROOT / "Snakefile"), "-n", "--directory", str(tmp_path),
                "--configfile", str(cfg)], tmp_path)
    assert done.returncode != 0 and "torch sees no CUDA GPU" in done.stderr + done.stdout
