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


def test_the_evaluation_context_takes_the_configured_batch_size_and_device():
    from prunability.config import parse
    from prunability.evaluation import EvalContext

    config = parse({"study": "adhoc", "dataset": {"name": "digits"}, "zoo": {"grid": {}},
                    "evaluation": {"batch_size": 7}})
    ctx = EvalContext.of(config, torch.device("cpu"))
    assert ctx == EvalContext(torch.device("cpu"), 7)


def test_logits_do_not_depend_on_the_batch_size():
    from prunability.evaluation import logits_of

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 3))
    x = torch.randint(0, 256, (10, 1, 2, 2), dtype=torch.uint8)
    calls = []
    model.register_forward_pre_hook(lambda _m, inputs: calls.append(len(inputs[0])))
    whole = logits_of(model, x, 10)
    torch.testing.assert_close(logits_of(model, x, 3), whole)
    assert calls == [10, 3, 3, 3, 1]  # the batch size is the context's, the last batch the rest


def test_test_sets_are_the_clean_set_then_each_corruption_at_each_severity():
    from prunability.robustness_eval import test_sets

    clean = torch.zeros(2, dtype=torch.uint8)
    stored = {"fog": {str(s): torch.full((2,), s, dtype=torch.uint8) for s in (1, 2, 3)},
              "snow": {str(s): torch.full((2,), 10 + s, dtype=torch.uint8) for s in (1, 2, 3)}}
    sets = list(test_sets(clean, stored, (1, 3)))
    assert [(c, s) for c, s, _ in sets] == [("none", 0), ("fog", 1), ("fog", 3), ("snow", 1), ("snow", 3)]
    assert sets[0][2] is clean and sets[4][2][0].item() == 13
