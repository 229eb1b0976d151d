import math

import torch

from prunability.evaluation import evaluation_of


def test_accuracy_and_predictions_from_logits():
    logits = torch.tensor([[2.0, 1.0], [0.0, 3.0], [1.0, 0.5]])
    e = evaluation_of(logits, torch.tensor([0, 1, 1]))
    assert abs(e.accuracy - 2 / 3) < 1e-6 and e.predicted.tolist() == [0, 1, 0]


def test_non_finite_logits_predict_nothing_and_leave_accuracy_undefined():
    """A diverged network is not "at chance": its rows predict -1 and the accuracy is NaN."""
    logits = torch.tensor([[2.0, 1.0], [float("nan"), 0.0], [float("inf"), 1.0]])
    e = evaluation_of(logits, torch.tensor([0, 0, 0]))
    assert e.predicted.tolist() == [0, -1, -1] and e.correct.tolist() == [True, False, False]
    assert math.isnan(e.accuracy)
