"""Arrow schemas of every result table: enforced on write, documented for readers.

Tables are long (one row per observation). The aggregate stage joins the
hyperparameter columns into every per-model table, so one ``pd.read_parquet``
and a ``groupby`` answer a question without merges.
"""

from __future__ import annotations

import pyarrow as pa

SCHEMA_VERSION = "1"

STR = pa.string()
F64 = pa.float64()
I32 = pa.int32()
I64 = pa.int64()

HPARAMS = [
    pa.field("architecture", STR, nullable=False),
    pa.field("depth", I32, nullable=False),
    pa.field("width", F64, nullable=False),
    pa.field("dropout", F64, nullable=False),
    pa.field("batchnorm", pa.bool_(), nullable=False),
    pa.field("optimizer", STR, nullable=False),
    pa.field("lr", F64, nullable=False),
    pa.field("batch_size", I32, nullable=False),
    pa.field("weight_decay", F64, nullable=False),
    pa.field("train_fraction", F64, nullable=False),  # share of the training split the model trained on
    pa.field("seed", I32, nullable=False),
]
HPARAM_NAMES = [f.name for f in HPARAMS]
MODEL_ID = pa.field("model_id", STR, nullable=False)


def _schema(*fields: pa.Field, with_hparams: bool = False) -> pa.Schema:
    cols = [MODEL_ID] + (HPARAMS if with_hparams else []) + list(fields)
    return pa.schema(cols, metadata={"schema_version": SCHEMA_VERSION})


TRAINING_OUTCOME = [
    pa.field("status", STR, nullable=False),  # converged | max_epochs | diverged
    pa.field("epochs", I32, nullable=False),
    pa.field("steps", I64, nullable=False),
    pa.field("train_loss", F64),
    pa.field("train_acc", F64),
    pa.field("test_loss", F64),
    pa.field("test_acc", F64),
    pa.field("generalization_gap", F64),  # train_acc - test_acc
]

HISTORY_FIELDS = [
    pa.field("epoch", I32, nullable=False),
    pa.field("step", I64, nullable=False),
    pa.field("train_loss", F64),
    pa.field("train_acc", F64),
    pa.field("test_loss", F64),
    pa.field("test_acc", F64),
    # dynamic dead-neuron rate (prunability.dnr): eval mode on the train-eval subset after the epoch,
    # and the running rate of the epoch's train-mode passes
    pa.field("dnr_eval", F64),
    pa.field("dnr_train", F64),
]

MILESTONE_FIELDS = [
    pa.field("target_ce", F64, nullable=False),
    pa.field("step", I64),  # null when the model never reached it
]

PRUNING_FIELDS = [
    pa.field("method", STR, nullable=False),
    pa.field("schedule", STR, nullable=False),  # one_shot | fine_tuned | at_init | imp_weight_rewind | imp_lr_rewind
    pa.field("sparsity", F64, nullable=False),  # requested fraction removed
    pa.field("kept", I64, nullable=False),  # prunable weights kept, exactly
    pa.field("prunable", I64, nullable=False),
    pa.field("kept_fraction", F64, nullable=False),
    pa.field("flops", I64, nullable=False),  # multiply-accumulates per image of the dense conv/linear layers
    pa.field("flops_kept", I64, nullable=False),  # the same, counting only kept weights
    pa.field("split", STR, nullable=False),  # train (the fixed train-eval subset) | test
    pa.field("loss", F64),
    pa.field("accuracy", F64),
    pa.field("ap", pa.bool_(), nullable=False),  # an AP job (schedule ends in "+ap"); its twin has the schedule without it
    pa.field("dnr", F64),  # dynamic dead-neuron rate of the network on this split, eval mode (prunability.dnr)
]

# Dynamic dead-neuron rate per epoch of every training run (Liu et al. 2023; prunability.dnr):
# dense training (job "dense", method "none", schedule "dense"), fine-tuning (schedule "fine_tuned"),
# at-init training, and every round of IMP / the iterative schedule, with and without AP.
DNR_FIELDS = [
    pa.field("job", STR, nullable=False),  # the pruning job key, or "dense"
    pa.field("method", STR, nullable=False),
    pa.field("schedule", STR, nullable=False),  # as in the pruning table ("+ap" for AP jobs)
    pa.field("ap", pa.bool_(), nullable=False),
    pa.field("sparsity", F64, nullable=False),  # of the network being trained
    pa.field("round", I32, nullable=False),  # prune-retrain round (0: dense, one-shot fine-tuning, at init)
    pa.field("epoch", I32, nullable=False),  # 1-based within this training run
    pa.field("step", I64, nullable=False),  # optimizer steps within this run
    pa.field("dnr_eval", F64),  # eval mode, on the fixed train-eval subset, after the epoch
    pa.field("dnr_train", F64),  # running mean over the epoch's train-mode forward passes
]

LAYER_SPARSITY_FIELDS = [
    pa.field("method", STR, nullable=False),
    pa.field("schedule", STR, nullable=False),  # as in the pruning table
    pa.field("sparsity", F64, nullable=False),  # requested
    pa.field("layer", STR, nullable=False),  # prunable tensor name, relative to model.net (e.g. "0.weight")
    pa.field("kept", I64, nullable=False),
    pa.field("total", I64, nullable=False),
]

ROBUSTNESS_FIELDS = [
    pa.field("method", STR, nullable=False),
    pa.field("schedule", STR, nullable=False),  # as in the pruning table
    pa.field("sparsity", F64, nullable=False),
    pa.field("corruption", STR, nullable=False),  # "none" is the clean test set
    pa.field("severity", pa.int8(), nullable=False),  # 0 for clean
    pa.field("loss", F64),
    pa.field("accuracy", F64),
]

SAMPLE_FIELDS = [
    pa.field("method", STR, nullable=False),
    pa.field("schedule", STR, nullable=False),  # as in the pruning table
    pa.field("sparsity", F64, nullable=False),
    pa.field("corruption", STR, nullable=False),  # "none" is the clean test set
    pa.field("severity", pa.int8(), nullable=False),
    pa.field("sample", I32, nullable=False),  # index in the prepared test set
    pa.field("label", pa.int16(), nullable=False),
    pa.field("predicted", pa.int16(), nullable=False),
    pa.field("correct", pa.bool_(), nullable=False),
    # penultimate-feature geometry (Li et al. 2022, measures/features.py), from the same forward pass;
    # null where the model's head does not split linearly (the pruned_measures table gives the reason)
    pa.field("feature_norm", pa.float32()),  # ‖f(x)‖
    pa.field("true_angle", pa.float32()),  # radians between f(x) and the true-class weight row W_y
    pa.field("angular_margin", pa.float32()),  # radians: min over c ≠ y of θ_c, minus θ_y
]
GEOMETRY_COLUMNS = ("feature_norm", "true_angle", "angular_margin")  # the samples table's geometry, in order

MEASURE_FIELDS = [
    pa.field("measure", STR, nullable=False),
    pa.field("value", F64),  # null where the measure failed for this model
    pa.field("seconds", F64),  # wall-clock cost of computing it
    pa.field("reason", STR),  # why value is null; null on success
]

# Activation and feature measures of every pruned model (sparsity 0 = dense) on the
# clean test set, from the evaluate stage: the MEASURE_FIELDS columns per method × sparsity.
# Their names (prunability.pruned_measures.PRUNED_MEASURES: test_dead_neuron_rate,
# test_feature_length, test_feature_angle, test_angular_margin) differ from the registered
# measures of the same definition, which the measures table holds on the training subset.
PRUNED_MEASURE_FIELDS = [
    pa.field("method", STR, nullable=False),
    pa.field("schedule", STR, nullable=False),  # as in the pruning table
    pa.field("sparsity", F64, nullable=False),
    *MEASURE_FIELDS,
]

# Instability of the sparse network of prune-retrain rounds (pruning/stability.py; Frankle et al. 2020, §5).
STABILITY_FIELDS = [
    pa.field("job", STR, nullable=False), pa.field("method", STR, nullable=False),
    pa.field("schedule", STR, nullable=False), pa.field("ap", pa.bool_(), nullable=False),
    pa.field("sparsity", F64, nullable=False), pa.field("round", I32, nullable=False),
    pa.field("instability", F64),  # error barrier: max over α of E(α) − mean of the end points' errors
    pa.field("end_error", F64),  # mean of the two copies' errors (train-eval subset)
    pa.field("statuses", STR, nullable=False),  # the copies' training statuses, "a|b"
]

# Per-example difficulty of one dense training run (prunability.difficulty), train and test splits.
DIFFICULTY_FIELDS = [
    pa.field("split", STR, nullable=False),  # train (the model's own examples) | test
    pa.field("sample", I32, nullable=False),  # index in the prepared split (joins the samples/fragility tables)
    pa.field("label", pa.int16(), nullable=False),
    pa.field("epochs", I32, nullable=False),  # evaluations seen (one per epoch)
    pa.field("correct", pa.bool_(), nullable=False),  # by the final model
    pa.field("forgetting_events", I32, nullable=False),  # correct at an epoch, wrong at the next (Toneva et al. 2019)
    pa.field("never_learned", pa.bool_(), nullable=False),  # never correct at any epoch
    pa.field("first_learned_epoch", I32, nullable=False),  # 1-based; 0 if never
    pa.field("score_epoch", I32, nullable=False),  # the epoch of el2n and grand
    pa.field("el2n", F64),  # ‖softmax − onehot‖₂ (Paul et al. 2021, eq. 2)
    pa.field("grand", F64),  # ‖∇_θ loss‖₂ (Paul et al. 2021, eq. 1), eval mode
    pa.field("margin", F64),  # final logit margin z_y − max_{c≠y} z_c
]

# Per-job files (written by one job) carry model_id and the stage's own columns.
JOB = {
    "history": _schema(*HISTORY_FIELDS),
    "milestones": _schema(*MILESTONE_FIELDS),
    "pruning": _schema(*PRUNING_FIELDS),
    "robustness": _schema(*ROBUSTNESS_FIELDS),
    "measures": _schema(*MEASURE_FIELDS),
    "layer_sparsity": _schema(*LAYER_SPARSITY_FIELDS),
    "samples": _schema(*SAMPLE_FIELDS),
    "pruned_measures": _schema(*PRUNED_MEASURE_FIELDS),
    "dnr": _schema(*DNR_FIELDS),
    "difficulty": _schema(*DIFFICULTY_FIELDS),
    "stability": _schema(*STABILITY_FIELDS),
}

# Study tables (written by aggregate) also carry the hyperparameters.
ZOO = _schema(*TRAINING_OUTCOME, with_hparams=True)
STUDY = {name: _schema(*schema, with_hparams=True) for name, schema in {
    "history": HISTORY_FIELDS, "milestones": MILESTONE_FIELDS, "pruning": PRUNING_FIELDS,
    "robustness": ROBUSTNESS_FIELDS, "measures": MEASURE_FIELDS, "layer_sparsity": LAYER_SPARSITY_FIELDS,
    "pruned_measures": PRUNED_MEASURE_FIELDS, "dnr": DNR_FIELDS,
}.items()}
STUDY["zoo"] = ZOO
# Per-sample rows are many (models × methods × sparsities × test sets × samples):
# they keep only model_id; join the zoo table for hyperparameters.
STUDY["samples"] = JOB["samples"]
STUDY["difficulty"] = JOB["difficulty"]  # per example too: lean
STUDY["stability"] = _schema(*STABILITY_FIELDS, with_hparams=True)

# Statistics tables.
KENDALL = pa.schema([
    pa.field("measure", STR, nullable=False), pa.field("target", STR, nullable=False),
    pa.field("tau", F64), pa.field("n_models", I32, nullable=False),
    pa.field("ci_low", F64), pa.field("ci_high", F64),  # bootstrap over models, 95 %
    pa.field("p_value", F64),  # test of τ = 0; then corrected over all (measure, target)
    pa.field("p_holm", F64), pa.field("p_bh", F64),
], metadata={"schema_version": SCHEMA_VERSION})
GRANULATED = pa.schema([
    pa.field("measure", STR, nullable=False), pa.field("target", STR, nullable=False),
    pa.field("axis", STR, nullable=False),  # a hyperparameter, or "all" for Ψ itself
    pa.field("psi", F64), pa.field("n_groups", I32, nullable=False),
], metadata={"schema_version": SCHEMA_VERSION})
CMI = pa.schema([
    pa.field("measure", STR, nullable=False), pa.field("target", STR, nullable=False),
    pa.field("subset_size", pa.int8(), nullable=False),
    pa.field("cmi", F64),  # min over subsets of this size of I(Vμ;Vg|U_S)/H(Vg|U_S)
    pa.field("argmin_subset", STR, nullable=False),  # the minimizing subset, "+"-joined
], metadata={"schema_version": SCHEMA_VERSION})
SIGN_ERROR = pa.schema([
    pa.field("measure", STR, nullable=False), pa.field("target", STR, nullable=False),
    pa.field("axis", STR, nullable=False),  # the hyperparameter that differs, or "all"
    pa.field("n_environments", I32, nullable=False),
    pa.field("mean", F64), pa.field("p90", F64), pa.field("max", F64),
], metadata={"schema_version": SCHEMA_VERSION})
MEASURE_MI = pa.schema([
    pa.field("measure_a", STR, nullable=False), pa.field("measure_b", STR, nullable=False),
    pa.field("mi", F64),  # I(V_a; V_b) / H(V_a) over ordered pairs of models
], metadata={"schema_version": SCHEMA_VERSION})
STATS = {"kendall": KENDALL, "granulated": GRANULATED, "cmi": CMI, "sign_error": SIGN_ERROR, "measure_mi": MEASURE_MI}
ACCURACY_RETAINED = pa.schema([
    pa.field("method", STR, nullable=False), pa.field("schedule", STR, nullable=False),
    pa.field("sparsity", F64, nullable=False),
    pa.field("split", STR, nullable=False), pa.field("mean_accuracy", F64),
    pa.field("mean_retained", F64), pa.field("min_retained", F64),  # pruned / dense accuracy
    pa.field("n_models", I32, nullable=False),
], metadata={"schema_version": SCHEMA_VERSION})
EFFECTIVE_ROBUSTNESS = pa.schema([
    pa.field("method", STR, nullable=False), pa.field("schedule", STR, nullable=False),
    pa.field("sparsity", F64, nullable=False),
    pa.field("clean_accuracy", F64), pa.field("corruption_accuracy", F64),
    pa.field("expected_from_dense", F64),  # corruption accuracy of a dense model of that clean accuracy
    pa.field("effective_robustness", F64),  # corruption_accuracy − expected_from_dense
    pa.field("n_models", I32, nullable=False),
], metadata={"schema_version": SCHEMA_VERSION})
PRUNABILITY_BY_ARCHITECTURE = pa.schema([
    pa.field("architecture", STR, nullable=False), pa.field("measure", STR, nullable=False),
    pa.field("target", STR, nullable=False), pa.field("tau", F64), pa.field("n_models", I32, nullable=False),
], metadata={"schema_version": SCHEMA_VERSION})
STATS.update({"accuracy_retained": ACCURACY_RETAINED, "effective_robustness": EFFECTIVE_ROBUSTNESS,
              "prunability_by_architecture": PRUNABILITY_BY_ARCHITECTURE})
CORRUPTION_ERRORS = _schema(
    pa.field("method", STR, nullable=False), pa.field("schedule", STR, nullable=False),
    pa.field("sparsity", F64, nullable=False),
    pa.field("corruption", STR, nullable=False), pa.field("n_severities", I64, nullable=False),
    pa.field("error", F64),  # mean over severities of 1 − accuracy
    pa.field("ce", F64), pa.field("relative_ce", F64),  # normalized to the same model's dense version
    with_hparams=True)
ROBUSTNESS_SUMMARY = _schema(
    pa.field("method", STR, nullable=False), pa.field("schedule", STR, nullable=False),
    pa.field("sparsity", F64, nullable=False),
    pa.field("clean_accuracy", F64),
    *[pa.field(f"{name}_{group}", F64) for group in ("15", "all")
      for name in ("mean_corruption_accuracy", "mce", "relative_mce")],
    pa.field("n_corruptions_15", I64, nullable=False), pa.field("n_corruptions_all", I64, nullable=False),
    with_hparams=True)
STATS.update({"corruption_errors": CORRUPTION_ERRORS, "robustness_summary": ROBUSTNESS_SUMMARY})
FRAGILITY = pa.schema([
    MODEL_ID, pa.field("method", STR, nullable=False), pa.field("schedule", STR, nullable=False),
    pa.field("sample", I32, nullable=False),
    pa.field("label", pa.int16(), nullable=False), pa.field("dense_correct", pa.bool_(), nullable=False),
    pa.field("first_failure_sparsity", F64),  # 0 if the dense model is wrong, null if never wrong
], metadata={"schema_version": SCHEMA_VERSION})
PIE = pa.schema([
    pa.field("method", STR, nullable=False), pa.field("schedule", STR, nullable=False),
    pa.field("sparsity", F64, nullable=False),
    pa.field("sample", I32, nullable=False), pa.field("label", pa.int16(), nullable=False),
    pa.field("dense_modal", pa.int16(), nullable=False), pa.field("pruned_modal", pa.int16(), nullable=False),
    pa.field("pie", pa.bool_(), nullable=False),
], metadata={"schema_version": SCHEMA_VERSION})
STATS.update({"fragility": FRAGILITY, "pie": PIE})
DIRECTION = pa.schema([
    pa.field("measure", STR, nullable=False), pa.field("target", STR, nullable=False), pa.field("tau", F64),
    pa.field("expected_tau_sign", pa.int8(), nullable=False),  # the measure's expected sign × the target's
    pa.field("right_direction", pa.bool_()),  # null where τ is NaN or 0
], metadata={"schema_version": SCHEMA_VERSION})
STATS["direction"] = DIRECTION
# Activate-while-Pruning and the dynamic dead-neuron rate (stats/ap_effect.py).
AP_PAIRS = pa.schema([
    pa.field("method", STR, nullable=False),
    pa.field("twin_schedule", STR, nullable=False),  # the job without AP; the AP job's schedule is this + "+ap"
    pa.field("sparsity", F64, nullable=False), pa.field("split", STR, nullable=False),
    pa.field("n_models", I32, nullable=False),  # models with both networks' accuracy
    pa.field("accuracy_twin", F64), pa.field("accuracy_ap", F64),
    pa.field("accuracy_diff", F64),  # mean over models of AP − twin (paired)
    pa.field("ci_low", F64), pa.field("ci_high", F64),  # 95 % percentile bootstrap of that mean, over models
    pa.field("dnr_twin", F64), pa.field("dnr_ap", F64), pa.field("dnr_diff", F64),  # same split, eval mode
], metadata={"schema_version": SCHEMA_VERSION})
DNR_SPARSITY = pa.schema([
    pa.field("method", STR, nullable=False), pa.field("schedule", STR, nullable=False),
    pa.field("ap", pa.bool_(), nullable=False), pa.field("sparsity", F64, nullable=False),
    pa.field("mean_dnr", F64), pa.field("min_dnr", F64), pa.field("max_dnr", F64),  # train-eval subset, eval mode
    pa.field("n_models", I32, nullable=False),
], metadata={"schema_version": SCHEMA_VERSION})
DNR_TREND = pa.schema([
    pa.field("method", STR, nullable=False), pa.field("schedule", STR, nullable=False),
    pa.field("ap", pa.bool_(), nullable=False),
    pa.field("tau", F64),  # Kendall τ(sparsity, DNR) over every network of the job; < 0: DNR falls with sparsity
    pa.field("n_points", I32, nullable=False),
], metadata={"schema_version": SCHEMA_VERSION})
STATS.update({"ap_pairs": AP_PAIRS, "dnr_sparsity": DNR_SPARSITY, "dnr_trend": DNR_TREND})
# Example difficulty against pruning (stats/difficulty.py). Scores named as in the difficulty table,
# or oriented so that larger is harder: inconsistency = 1 − consistency, negative_margin = −margin.
SAMPLE_DIFFICULTY = pa.schema([
    pa.field("split", STR, nullable=False), pa.field("sample", I32, nullable=False),  # joins fragility/pie on sample
    pa.field("label", pa.int16(), nullable=False),
    pa.field("n_models", I32, nullable=False),  # converged models that saw the example
    pa.field("consistency", F64),  # share of them whose final network classifies it correctly
    pa.field("forgetting_events", F64), pa.field("never_learned", F64),  # means over those models
    pa.field("el2n", F64), pa.field("grand", F64), pa.field("margin", F64),
], metadata={"schema_version": SCHEMA_VERSION})
DIFFICULTY_FRAGILITY = pa.schema([
    pa.field("method", STR, nullable=False), pa.field("schedule", STR, nullable=False),
    pa.field("sparsity", F64, nullable=False), pa.field("score", STR, nullable=False),  # oriented: larger is harder
    pa.field("rho", F64),  # Spearman over test examples of (score, share of dense-correct models failing here)
    pa.field("p_value", F64), pa.field("n_samples", I32, nullable=False),
    pa.field("mean_fragility", F64),
], metadata={"schema_version": SCHEMA_VERSION})
PIE_DIFFICULTY = pa.schema([
    pa.field("method", STR, nullable=False), pa.field("schedule", STR, nullable=False),
    pa.field("sparsity", F64, nullable=False), pa.field("score", STR, nullable=False),  # oriented: larger is harder
    pa.field("n_pie", I32, nullable=False), pa.field("n_rest", I32, nullable=False),
    pa.field("mean_pie", F64), pa.field("mean_rest", F64),
    pa.field("difference", F64), pa.field("ci_low", F64), pa.field("ci_high", F64),  # PIEs − rest, 95 % bootstrap
], metadata={"schema_version": SCHEMA_VERSION})
STATS.update({"sample_difficulty": SAMPLE_DIFFICULTY, "difficulty_fragility": DIFFICULTY_FRAGILITY,
              "pie_difficulty": PIE_DIFFICULTY})

# The verdicts of a findings study (prunability.findings): one row per claim.
FINDINGS = pa.schema([
    pa.field("findings", STR, nullable=False),  # the findings study (its base study name)
    pa.field("claim_id", STR, nullable=False), pa.field("paper", STR, nullable=False),
    pa.field("claim", STR, nullable=False),  # the published statement
    pa.field("quantity", STR, nullable=False),  # what was estimated, from which tables
    pa.field("estimate", F64), pa.field("ci_low", F64), pa.field("ci_high", F64),  # 95 % interval
    pa.field("n", I32, nullable=False),  # models (or model pairs) the estimate rests on
    pa.field("criterion", STR, nullable=False),  # verbatim from the config, written before the run
    pa.field("rule", STR, nullable=False),  # the criterion's typed form
    pa.field("verdict", STR, nullable=False),  # reproduced | contradicted | inconclusive
    pa.field("reason", STR, nullable=False),
    pa.field("explanation", STR, nullable=False),  # what might explain a failure, written before the run
    pa.field("details", STR, nullable=False),  # JSON: rank, CMI, per-group means, ...
    pa.field("studies", STR, nullable=False),  # the runs it rests on, "+"-joined
    pa.field("wall_seconds", F64),  # wall time of running those studies, when measured (make findings)
], metadata={"schema_version": SCHEMA_VERSION})
