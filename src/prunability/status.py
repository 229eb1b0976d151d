"""The training status of a model: the one place its values are spelled.

A ``str`` enum, so a status compares equal to, serializes as and is written to
tables as its value ("converged", …), as the plain strings were before.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    RUNNING = "running"  # still training (a checkpoint's state); never a finished model's
    CONVERGED = "converged"  # reached training.target_ce
    MAX_EPOCHS = "max_epochs"  # spent training.max_epochs without reaching it
    DIVERGED = "diverged"  # the training loss became non-finite
