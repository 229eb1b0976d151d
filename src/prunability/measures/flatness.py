"""PAC-Bayes flatness: how much isotropic Gaussian weight noise the trained
network tolerates before its training accuracy drops.

Jiang et al. 2020, "Fantastic Generalization Measures" (arXiv 1912.02178),
§"PAC-Bayes": σ' is the largest noise std such that E_u[acc(w + u)] with
u ~ N(0, σ'² I) is no more than a fixed amount below acc(w); the flatness
measure (eq. 53) is 1/σ'². Noise is added to every parameter of the
BN-folded net (otherwise BN would renormalize the noise away). The
magnitude-aware variant (eq. 61) draws u_i ~ N(0, σ'²w_i² + ε²) instead.

Departures from the reference search, all to make σ' a property of the model
rather than of the search (see ``bisection.py``):
- common random numbers: the K standard-normal directions z_k are fixed once
  per search and only rescaled, u_k = σ·z_k (magnitude-aware:
  √(σ²w² + ε²)·z_k), at every bisection step, so the estimated accuracy is a
  fixed function of σ and two steps never disagree by sampling noise;
- each draw may be evaluated on its own stratified subset of
  ``pac_bayes_images_per_draw`` training images instead of all of them. The
  mean still estimates E_u[acc(w + u)] on the whole training subset without
  bias, and far more cheaply: the accuracy varies from draw to draw (std
  ≈ 0.04 at a drop of 0.1 on the digits NiNs) much more than from image to
  image (binomial std ≈ 0.008 on 1,257 images), so many draws on few images
  beat few draws on all images at the same cost;
- the bisection runs all its steps on a log scale instead of stopping within
  0.01 of the target drop;
- the K draws are evaluated in batches (``perturbed.py``);
- common random numbers across models too: the directions z_k are drawn from
  the measure seed before anything that depends on the data (the image
  subsets), so two models with the same parameter shapes are searched with the
  same z_k whatever their training-set size. Each model's σ' has the same
  distribution as before; the difference between two models' σ' no longer
  carries two independent draws' noise, which is what ranks them. On the
  12 digits NiNs the closest magnitude-aware bounds (eqs. 56/57) of one
  architecture differ by 0.1 %, while σ' moves ~1.4 % between seeds
  (README, seed agreement).
The public PyTorch re-implementation draws ``torch.normal(0, sigma**2)``,
i.e. uses σ² as the standard deviation; here the standard deviation is σ.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from prunability.measures.bisection import OCTAVES, ScaleSearch, log_bisect
from prunability.measures.context import MeasureFailed, register
from prunability.measures.folding import folded_classifier
from prunability.measures.perturbed import draws_per_pass_on, evaluate_perturbed


@dataclass(frozen=True)
class NoiseDirections:
    """K standard-normal draws z_k shaped like the parameters, fixed once per
    search (common random numbers). They are a function of one seed and are
    regenerated chunk by chunk, identically, whenever they are needed, so
    that K·ω numbers need not sit in memory at once; when they take at most
    ``keep_bytes``, the first pass keeps them and later passes (bisection
    steps) reuse them instead of drawing them again (the same numbers)."""

    shapes: tuple[torch.Size, ...]
    samples: int
    seed: int
    device: torch.device
    dtype: torch.dtype
    keep_bytes: int = 0
    _kept: dict = field(default_factory=dict, compare=False, repr=False)  # chunk size -> [(start, z)]

    @classmethod
    def draw(cls, params: list[torch.Tensor], samples: int, generator: torch.Generator,
             keep_bytes: int = 0) -> "NoiseDirections":
        """Directions of a new search; advances ``generator`` by one number (the search's seed)."""
        seed = int(torch.randint(0, 2**62, (1,), generator=generator, device=generator.device).item())
        return cls(tuple(p.shape for p in params), samples, seed, params[0].device, params[0].dtype, keep_bytes)

    @property
    def nbytes(self) -> int:
        """Memory of all K draws at once."""
        return self.samples * sum(math.prod(s) for s in self.shapes) * torch.finfo(self.dtype).bits // 8

    def chunks(self, size: int):
        """(first index, [z_k for the next ``size`` draws]) in order; draw k is z_k for every tensor in turn."""
        if size in self._kept:
            yield from self._kept[size]
            return
        keep = [] if self.nbytes <= self.keep_bytes else None
        generator = torch.Generator(device=self.device).manual_seed(self.seed)
        for start in range(0, self.samples, size):
            chunk = [
                [torch.randn(shape, generator=generator, device=self.device, dtype=self.dtype) for shape in self.shapes]
                for _ in range(min(size, self.samples - start))
            ]
            if keep is not None:
                keep.append((start, chunk))
            yield start, chunk
        if keep is not None:
            self._kept[size] = keep


def scale_noise(z: list[torch.Tensor], params: list[torch.Tensor], sigma: float, magnitude_eps: float | None = None):
    """u = σ·z, or √(σ²w² + ε²)·z when magnitude-aware (std σ, not σ²)."""
    if magnitude_eps is None:
        return [d * sigma for d in z]
    return [d * torch.sqrt(sigma**2 * p.detach() ** 2 + magnitude_eps**2) for d, p in zip(z, params)]


def gaussian_noise(
    params: list[torch.Tensor], sigma: float, generator: torch.Generator, magnitude_eps: float | None = None,
) -> list[torch.Tensor]:
    """One draw of N(0, σ² I) per tensor: standard deviation σ (not σ²).

    With ``magnitude_eps`` = ε, the magnitude-aware noise of Jiang et al.
    2020 (eqs. 56–61): standard deviation √(σ²w² + ε²) per weight w.
    """
    z = [torch.randn(p.shape, generator=generator, device=p.device, dtype=p.dtype) for p in params]
    return scale_noise(z, params, sigma, magnitude_eps)


def image_subsets(n: int, samples: int, per_draw: int, generator: torch.Generator) -> list[torch.Tensor] | None:
    """Per draw, the ``per_draw`` training images it is evaluated on (None: all n).

    Stratified: each round of ⌊n/per_draw⌋ draws splits one seeded permutation
    of the images into disjoint blocks, so every image is used equally often
    and the mean over draws estimates E_u[accuracy on all n images] without bias.
    """
    if per_draw <= 0 or per_draw >= n:
        return None
    blocks = n // per_draw
    subsets = []
    while len(subsets) < samples:
        order = torch.randperm(n, generator=generator, device=generator.device).cpu()
        subsets.extend(order[i * per_draw : (i + 1) * per_draw] for i in range(blocks))
    return subsets[:samples]


def clean_accuracy(model: torch.nn.Module, x, y, batch_size: int) -> float:
    """Training accuracy at the clean weights, counted as the noisy ones are."""
    zero = [[torch.zeros_like(p) for p in model.parameters()]]
    return evaluate_perturbed(model, x, y, zero, batch_size=batch_size, draws_per_pass=1).accuracies[0]


@torch.no_grad()
def mean_noisy_accuracy(
    model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, sigma: float, directions: NoiseDirections,
    batch_size: int, magnitude_eps: float | None = None, draws_per_pass: int = 16,
    subsets: list[torch.Tensor] | None = None,
) -> float:
    """Mean training accuracy over the noisy weights w + u_k, u_k the
    ``directions`` scaled to σ, draw k on ``subsets[k]`` (None: all images);
    the model's weights are unchanged after."""
    params = [p.detach() for p in model.parameters()]
    total = 0.0
    for start, z in directions.chunks(max(draws_per_pass, 1)):
        noise = [scale_noise(d, params, sigma, magnitude_eps) for d in z]
        chunk = None if subsets is None else subsets[start : start + len(z)]
        total += sum(evaluate_perturbed(model, x, y, noise, batch_size=batch_size, draws_per_pass=draws_per_pass,
                                        subsets=chunk).accuracies)
    return total / directions.samples


def noise_for_accuracy_drop(
    model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, *, target_drop: float, samples: int,
    steps: int, sigma_max: float, generator: torch.Generator, batch_size: int,
    magnitude_eps: float | None = None, draws_per_pass: int = 16, images_per_draw: int = 0, keep_bytes: int = 0,
) -> ScaleSearch:
    """σ where the mean accuracy drop under ``samples`` draws crosses ``target_drop``,
    by ``steps`` log-scale bisection steps on [σ_max·2^-20, σ_max] (``bisection.py``).

    The draws, and then the ``images_per_draw`` images each is evaluated on
    (0: all), come from ``generator`` once, before the search; the draws do
    not depend on the number of images; they are kept in memory between
    bisection steps when they take at most ``keep_bytes``. If even σ_max
    costs less than the target, the result says so (``too_flat``); Jiang et
    al.'s search silently caps σ' there.
    """
    clean = clean_accuracy(model, x, y, batch_size)
    # Directions first: they then depend only on the seed and the parameter shapes, so models of one
    # architecture share them whatever their training-set size (common random numbers across models).
    directions = NoiseDirections.draw([p.detach() for p in model.parameters()], samples, generator, keep_bytes)
    subsets = image_subsets(len(x), samples, images_per_draw, generator)

    def drop_at(sigma: float) -> float:
        return clean - mean_noisy_accuracy(model, x, y, sigma, directions, batch_size, magnitude_eps, draws_per_pass,
                                           subsets)

    return log_bisect(drop_at, target_drop, steps, sigma_max)


def pac_bayes_sigma(ctx, magnitude: bool = False) -> float:
    """σ' of the context's model (cached per noise kind): isotropic noise, or
    magnitude-aware noise with ε = ``magnitude_eps``. Fails if [σ_max·2^-20, σ_max] does not bracket it."""

    def search() -> ScaleSearch:
        cfg = ctx.config
        model = folded_classifier(ctx)
        return noise_for_accuracy_drop(
            model, ctx.x_train, ctx.y_train, target_drop=cfg.pac_bayes_accuracy_drop, samples=cfg.pac_bayes_samples,
            steps=cfg.pac_bayes_steps, sigma_max=cfg.pac_bayes_sigma_max, generator=ctx.generator(),
            batch_size=ctx.batch_size, magnitude_eps=cfg.magnitude_eps if magnitude else None,
            draws_per_pass=draws_per_pass_on(cfg.noise_draws_per_pass, ctx.device),
            images_per_draw=cfg.pac_bayes_images_per_draw,
            keep_bytes=cfg.noise_memory_mb * 2**20,
        )

    found = ctx.cached("pac_bayes_mag_search" if magnitude else "pac_bayes_search", search)
    kind = "magnitude-aware " if magnitude else ""
    if found.too_flat:
        raise MeasureFailed(
            f"{kind}weight noise up to σ = {ctx.config.pac_bayes_sigma_max:g} drops training accuracy by only "
            f"{found.drop:.3f} < {ctx.config.pac_bayes_accuracy_drop:g}; raise pac_bayes_sigma_max"
        )
    if found.too_sharp:
        raise MeasureFailed(
            f"{kind}weight noise of σ = {ctx.config.pac_bayes_sigma_max * 2.0**-OCTAVES:.3g} already drops training "
            f"accuracy by {found.drop:.3f} > {ctx.config.pac_bayes_accuracy_drop:g}; lower pac_bayes_sigma_max"
        )
    return found.scale


@register("pac_bayes_flatness", sign=+1)
def pac_bayes_flatness(ctx) -> float:
    """1/σ'², the PAC-Bayes flatness measure of Jiang et al. 2020, eq. (53).

    σ' is searched with the context's measure settings (accuracy drop,
    Monte Carlo samples, bisection steps, σ_max) and seeded generator, with
    common random numbers across the bisection (module docstring).
    """
    return 1.0 / pac_bayes_sigma(ctx) ** 2


@register("pac_bayes_mag_flatness", sign=+1)
def pac_bayes_mag_flatness(ctx) -> float:
    """1/σ'², σ' found with magnitude-aware noise of std √(σ'²w² + ε²)
    (Jiang et al. 2020, eq. 61, "pacbayes.mag.flatness")."""
    return 1.0 / pac_bayes_sigma(ctx, magnitude=True) ** 2
