"""Per-example difficulty scores, recorded while a dense model trains.

- **Forgetting events** (Toneva et al. 2019, ICLR, "An Empirical Study of
  Example Forgetting during Deep Neural Network Learning", §2): an example
  undergoes a forgetting event when it is classified correctly at one
  evaluation and misclassified at the next; its score is the number of such
  events. The paper ranks an example never classified correctly as forgotten
  infinitely often; here it is flagged (``never_learned``) beside its count. Toneva et al. evaluate an example each
  time its minibatch is presented; we evaluate the whole split once per epoch
  (the pass the training history already makes), so events are counted
  between consecutive epochs.
- **EL2N** (Paul, Ganguli & Dziugaite 2021, NeurIPS, "Deep Learning on a Data
  Diet", eq. 2): E‖p(x) − onehot(y)‖₂ with p the softmax output, here at one
  early epoch (``training.score_epoch``) of one model. The paper averages over
  10 initializations; the per-model scores are in the difficulty table and the
  statistics stage averages them over the zoo (different seeds *and*
  hyperparameters), which is our stand-in for that expectation.
- **GraNd** (same paper, eq. 1): E‖∇_θ ℓ(f_θ(x), y)‖₂ over all parameters,
  at the same epoch, per example (torch.func), with dropout off and BatchNorm
  in eval mode (running statistics).
- **Margin** of the final model: z_y − max_{c≠y} z_c of the logits (negative
  when misclassified).

All scores are computed for both the training split (the model's own
examples) and the test split (whose epochs are evaluated too), so test scores
can be compared with pruning fragility. Recording them reads the evaluation
pass the history makes anyway and touches no random state: training is
bit-identical with the scores on or off.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch.func import functional_call, grad, vmap

from prunability.data.split import as_float

SPLITS = ("train", "test")
GRAD_CHUNK = 64  # examples per vmap call: bounds memory at GRAD_CHUNK × #params floats


def forgetting_events(correct: torch.Tensor) -> torch.Tensor:
    """Per example (columns of the epochs × examples bool matrix ``correct``): how many
    times a correct classification is followed by a misclassification at the next
    evaluation (Toneva et al. 2019, §2). int64."""
    correct = correct.bool()
    if len(correct) < 2:
        return torch.zeros(correct.shape[1:], dtype=torch.int64)
    return (correct[:-1] & ~correct[1:]).sum(dim=0)


def first_learned(correct: torch.Tensor) -> torch.Tensor:
    """1-based index of the first evaluation at which each example is correct; 0 if never."""
    correct = correct.bool()
    any_correct = correct.any(dim=0)
    first = correct.int().argmax(dim=0) + 1
    return torch.where(any_correct, first, torch.zeros_like(first))


def el2n(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """‖softmax(logits) − onehot(y)‖₂ per example (Paul et al. 2021, eq. 2, one model). float64."""
    p = logits.double().softmax(dim=1)
    onehot = F.one_hot(y.to(p.device), p.shape[1]).double()
    return (p - onehot).norm(dim=1)


def margin(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """z_y − max_{c≠y} z_c per example (float64): > 0 iff classified correctly (ties aside)."""
    z = logits.double()
    y = y.to(z.device)
    true = z.gather(1, y[:, None]).squeeze(1)
    others = z.scatter(1, y[:, None], float("-inf"))
    return true - others.max(dim=1).values


def grand(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """‖∇_θ CE(f_θ(x), y)‖₂ per example over every parameter (Paul et al. 2021, eq. 1, one
    model), ``model`` in eval mode (its mode is restored). float64, on CPU."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    params = {k: v.detach() for k, v in model.named_parameters()}
    buffers = {k: v.detach() for k, v in model.named_buffers()}

    def loss(p, xi, yi):
        return F.cross_entropy(functional_call(model, (p, buffers), (xi.unsqueeze(0),)), yi.unsqueeze(0))

    per_example = vmap(grad(loss), in_dims=(None, 0, 0))
    norms = []
    for i in range(0, len(x), GRAD_CHUNK):
        g = per_example(params, as_float(x[i : i + GRAD_CHUNK].to(device)), y[i : i + GRAD_CHUNK].to(device))
        squared = sum(v.double().reshape(len(v), -1).pow(2).sum(dim=1) for v in g.values())
        norms.append(squared.sqrt().cpu())
    model.train(was_training)
    return torch.cat(norms) if norms else torch.empty(0, dtype=torch.float64)


@dataclass(frozen=True)
class DifficultyRecorder:
    """A per-epoch observer of a training run (``train.fit``'s ``observe``): it keeps each
    split's per-example correctness of every epoch, and the EL2N and GraNd scores at
    ``score_epoch`` (or at the last epoch, if training stops before it). Its state lives
    in the run's ``TrainResult.scores``, so a resumed run continues it."""

    score_epoch: int
    splits: dict  # split name -> (x, y) the history evaluates, in that order

    def observe(self, scores: dict, epoch: int, model: torch.nn.Module, logits: dict) -> None:
        for split, split_logits in logits.items():
            _, y = self.splits[split]
            state = scores.setdefault(split, {"correct": [], "el2n": None, "grand": None, "score_epoch": 0})
            state["correct"].append((split_logits.argmax(dim=1).cpu() == y.cpu()))
            state["last_logits"] = split_logits.detach().float().cpu()
            if epoch <= self.score_epoch:  # the latest epoch not after score_epoch
                state["el2n"], state["score_epoch"] = el2n(split_logits, y).cpu(), epoch
                if epoch == self.score_epoch:
                    state["grand"] = grand(model, *self.splits[split])

    def finish(self, scores: dict, model: torch.nn.Module) -> None:
        """GraNd of the final model for a run that stopped before ``score_epoch``."""
        for split, state in scores.items():
            if state["grand"] is None and state["correct"]:
                state["grand"] = grand(model, *self.splits[split])


def difficulty_rows(scores: dict, samples: dict, labels: dict) -> list[dict]:
    """The difficulty-table rows of one model from a recorder's state: per split, per example
    (``samples[split]``: their indices in the prepared split; ``labels[split]``: their labels)."""
    rows = []
    for split, state in scores.items():
        if not state["correct"]:
            continue
        correct = torch.stack(state["correct"])
        events, first = forgetting_events(correct), first_learned(correct)
        final_margin = margin(state["last_logits"], labels[split])
        columns = {
            "sample": samples[split].tolist(), "label": labels[split].tolist(),
            "correct": correct[-1].tolist(), "forgetting_events": events.tolist(),
            "never_learned": (first == 0).tolist(), "first_learned_epoch": first.tolist(),
            "el2n": state["el2n"].tolist(), "grand": state["grand"].tolist(), "margin": final_margin.tolist(),
        }
        n = len(columns["sample"])
        rows += [{"split": split, "epochs": len(correct), "score_epoch": state["score_epoch"],
                  **{k: v[i] for k, v in columns.items()}} for i in range(n)]
    return rows
