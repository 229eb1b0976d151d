"""prunability: train a zoo, prune it, corrupt it, measure it, and ask which
generalization measures predict generalization and robustness."""

__version__ = "0.1.0"
