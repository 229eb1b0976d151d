"""Per-example difficulty scores: forgetting events, EL2N, GraNd, margin, and the recorder
hooked into training (training stays bit-identical with it on)."""

from __future__ import annotations

import math

import torch
from torch import nn

from prunability.evaluation import EvalContext
from prunability.difficulty import (DifficultyRecorder, difficulty_rows, el2n, first_learned, forgetting_events,
                                    grand, margin)
from prunability.train import train_model


def test_forgetting_events_counted_on_a_hand_made_sequence():
    # epochs × examples; example 0: 1 0 1 0 1 -> 2 events; 1: 0 1 1 1 1 -> 0;
    # 2: never learned -> 0, flagged; 3: 1 1 0 0 1 -> 1; 4: 1 0 0 0 0 -> 1
    correct = torch.tensor([[1, 0, 0, 1, 1],
                            [0, 1, 0, 1, 0],
                            [1, 1, 0, 0, 0],
                            [0, 1, 0, 0, 0],
                            [1, 1, 0, 1, 0]], dtype=torch.bool)
    assert forgetting_events(correct).tolist() == [2, 0, 0, 1, 1]
    assert first_learned(correct).tolist() == [1, 2, 0, 1, 1]
    assert forgetting_events(correct[:1]).tolist() == [0, 0, 0, 0, 0]  # one evaluation: nothing to forget


def test_el2n_equals_the_hand_computed_softmax_error():
    # logits (0, ln 3): softmax (1/4, 3/4); label 0: error (-3/4, 3/4), norm 3√2/4; label 1: (1/4, -1/4), √2/4
    logits = torch.tensor([[0.0, math.log(3.0)], [0.0, math.log(3.0)]])
    scores = el2n(logits, torch.tensor([0, 1]))
    assert torch.allclose(scores, torch.tensor([3 * math.sqrt(2) / 4, math.sqrt(2) / 4], dtype=torch.float64))


def test_margin_is_true_logit_minus_best_other():
    logits = torch.tensor([[2.0, 5.0, 1.0], [2.0, 5.0, 1.0]])
    assert margin(logits, torch.tensor([1, 2])).tolist() == [3.0, -4.0]


def test_grand_of_a_linear_softmax_model_is_el2n_times_the_input_norm():
    # for z = Wx + b, ∇_W CE = (p − e_y) xᵀ and ∇_b CE = p − e_y, so ‖∇θ‖ = ‖p − e_y‖ · √(‖x‖² + 1)
    torch.manual_seed(0)
    model = nn.Linear(4, 3)
    x, y = torch.randn(10, 4), torch.randint(0, 3, (10,))
    expected = el2n(model(x).detach(), y) * (x.double().pow(2).sum(dim=1) + 1).sqrt()
    assert torch.allclose(grand(model, x, y), expected, rtol=1e-5)


def _same_weights(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_recording_leaves_training_bit_identical_and_counts_each_epoch(trained, tiny_config, digits_data):
    spec, plain = trained
    s = digits_data.split
    recorder = DifficultyRecorder(2, {"train": (s.x_train, s.y_train), "test": (s.x_test, s.y_test)})
    scored = train_model(spec, tiny_config.training, digits_data, EvalContext(torch.device("cpu"), 1024),
                         difficulty=recorder)
    assert _same_weights(plain.final_state, scored.final_state)
    assert plain.history == scored.history
    train = scored.scores["train"]
    assert len(train["correct"]) == scored.epochs and train["score_epoch"] == 2
    # the recorded correctness is the history's: its last epoch's accuracy
    assert train["correct"][-1].float().mean().item() == scored.final["train_acc"]
    samples = {"train": torch.arange(len(s.x_train)) + 1000, "test": torch.arange(len(s.x_test))}
    rows = difficulty_rows(scored.scores, samples, {"train": s.y_train, "test": s.y_test})
    assert len(rows) == len(s.x_train) + len(s.x_test)
    first = rows[0]
    assert first["split"] == "train" and first["sample"] == 1000 and first["epochs"] == scored.epochs
    events = forgetting_events(torch.stack(train["correct"]))
    assert [r["forgetting_events"] for r in rows[: len(s.x_train)]] == events.tolist()
    assert all(r["correct"] == (r["margin"] > 0) for r in rows)
    assert all(r["el2n"] >= 0 and r["grand"] >= 0 for r in rows)
