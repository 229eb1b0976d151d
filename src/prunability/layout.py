"""Where every output of a study lives: one definition, read by the command
line (to write) and by the Snakefile (to declare outputs)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

TABLES = ("zoo", "history", "milestones", "pruning", "robustness", "measures", "layer_sparsity", "samples",
          "pruned_measures", "dnr", "difficulty", "stability")
STATS = ("kendall", "granulated", "cmi", "sign_error", "measure_mi", "accuracy_retained",
         "effective_robustness", "prunability_by_architecture", "corruption_errors", "robustness_summary",
         "fragility", "pie", "direction", "ap_pairs", "dnr_sparsity", "dnr_trend", "sample_difficulty",
         "difficulty_fragility", "pie_difficulty")
FIGURES = ("pruning_curves", "kendall_heatmap", "measure_mi", "measure_vs_gap", "robustness_curves", "corruption_grid",
           "fragile_samples", "ap_dnr")


@dataclass(frozen=True)
class Layout:
    study: str
    root: Path = Path("results")

    @property
    def base(self) -> Path:
        return self.root / self.study

    # data
    @property
    def prepared(self) -> Path:
        return self.base / "data" / "prepared.pt"

    @property
    def data_info(self) -> Path:
        return self.base / "data" / "info.json"

    def corrupted(self, corruption: str) -> Path:
        return self.base / "data" / "corrupted" / f"{corruption}.pt"

    # per model
    def model_dir(self, model_id: str) -> Path:
        return self.base / "models" / model_id

    def init_weights(self, model_id: str) -> Path:
        return self.model_dir(model_id) / "init.pt"

    def final_weights(self, model_id: str) -> Path:
        return self.model_dir(model_id) / "final.pt"

    def rewind_weights(self, model_id: str) -> Path:
        """Weights after ``training.rewind_step`` optimizer steps: where IMP rewinds survivors to."""
        return self.model_dir(model_id) / "rewind.pt"

    def history(self, model_id: str) -> Path:
        return self.model_dir(model_id) / "history.parquet"

    def milestones(self, model_id: str) -> Path:
        return self.model_dir(model_id) / "milestones.parquet"

    def checkpoint(self, model_id: str) -> Path:
        """Resumable training state; removed once training has finished."""
        return self.model_dir(model_id) / "checkpoint.pt"

    def difficulty(self, model_id: str) -> Path:
        """Per-example difficulty scores recorded while the dense model trained (prunability.difficulty)."""
        return self.model_dir(model_id) / "difficulty.parquet"

    def train_result(self, model_id: str) -> Path:
        return self.model_dir(model_id) / "result.json"

    # per model × pruning job: ``job`` is the job key (pruning_jobs.PruningJob.key, e.g. "snip.at_init"),
    # the {job} wildcard; the registry name of its pruning method is PruningJob.method
    def pruning_curve(self, model_id: str, job: str) -> Path:
        return self.base / "pruning" / model_id / f"{job}.parquet"

    def pruned_weights(self, model_id: str, job: str) -> Path:
        """Weights of the pruned networks that training changed (fine-tuned, trained
        from a pruned initialization, IMP rounds): {schedule: {sparsity: state}}."""
        return self.base / "pruning" / model_id / f"{job}.weights.pt"

    def masks(self, model_id: str, job: str) -> Path:
        return self.base / "pruning" / model_id / f"{job}.masks.pt"

    def robustness(self, model_id: str, job: str) -> Path:
        return self.base / "robustness" / model_id / f"{job}.parquet"

    def samples(self, model_id: str, job: str) -> Path:
        return self.base / "samples" / model_id / f"{job}.parquet"

    def measures(self, model_id: str) -> Path:
        return self.base / "measures" / f"{model_id}.parquet"

    def pruned_measures(self, model_id: str, job: str) -> Path:
        """Dead-neuron rate and feature geometry of every sparsity's model on the clean test set."""
        return self.base / "pruned_measures" / model_id / f"{job}.parquet"

    # study
    def table(self, name: str) -> Path:
        return self.base / "tables" / f"{name}.parquet"

    def stats(self, name: str) -> Path:
        return self.base / "stats" / f"{name}.parquet"

    @property
    def kendall_csv(self) -> Path:
        """τ as CSV for `dvc plots` (beside, not inside, the DVC-tracked stats/)."""
        return self.base / "kendall.csv"

    @property
    def summary_json(self) -> Path:
        return self.base / "summary.json"

    def figure(self, name: str) -> Path:
        return self.base / "figures" / f"{name}.png"

    @property
    def explorer_page(self) -> Path:
        """The interactive explorer: one self-contained HTML page (prunability.explorer)."""
        return self.base / "explorer" / "index.html"

    @property
    def explorer_sprites(self) -> Path:
        """The test images the explorer can show, one PNG sheet beside the page."""
        return self.base / "explorer" / "samples.png"

    @property
    def study_config(self) -> Path:
        """The validated config, with defaults, as the report shows it."""
        return self.base / "stats" / "study_config.yaml"

    @property
    def summary_md(self) -> Path:
        return self.base / "summary.md"

    # appended: per-job pruning outputs beyond the curve and the masks
    def dnr(self, model_id: str, job: str) -> Path:
        """Dynamic dead-neuron rate per epoch of every training run of one prune job."""
        return self.base / "pruning" / model_id / f"{job}.dnr.parquet"

    def stability(self, model_id: str, job: str) -> Path:
        """Instability of the sparse networks of a prune-retrain job's chosen rounds (pruning.imp.instability_rounds)."""
        return self.base / "pruning" / model_id / f"{job}.stability.parquet"

    def layer_sparsity(self, model_id: str, job: str) -> Path:
        """Kept and total entries of every prunable tensor at every sparsity (one model × pruning job)."""
        return self.base / "pruning" / model_id / f"{job}.layers.parquet"


@dataclass(frozen=True)
class FindingsLayout:
    """Where the findings suite writes: per findings study its verdicts, and the report of all."""

    root: Path = Path("results")

    @property
    def base(self) -> Path:
        return self.root / "findings"

    def verdicts(self, findings: str) -> Path:
        """The verdict table of one findings study (``schemas.FINDINGS``)."""
        return self.base / findings / "verdicts.parquet"

    def study_configs(self, findings: str) -> Path:
        """Directory of the written study configs of a findings study with variants."""
        return self.base / findings / "configs"

    @property
    def report(self) -> Path:
        return self.base / "report.md"

    @property
    def table(self) -> Path:
        """Every verdict of the suite in one table (Parquet), and as JSON beside it."""
        return self.base / "verdicts.parquet"

    @property
    def json(self) -> Path:
        return self.base / "verdicts.json"
