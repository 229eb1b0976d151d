"""The exact spectral norm of each convolution as a linear operator, and the
spectral measures of Jiang et al. 2020 recomputed with it.

Sedghi, Gupta & Long 2019, "The Singular Values of Convolutional Layers"
(ICLR, arXiv 1805.10408), Theorem 6: a 2-D convolution with kernel
K ∈ R^{c_out × c_in × k × k} and circular padding on an n₁ × n₂ input is,
in the 2-D Fourier basis, block diagonal with one c_out × c_in block per
frequency (u, v): P(u, v) = Σ_{a,b} K[:, :, a, b] e^{−2πi(ua/n₁ + vb/n₂)},
the 2-D DFT of the kernel zero-padded to n₁ × n₂. Its singular values are
those of the n₁·n₂ blocks; the operator norm is the largest of them. All
blocks come from one ``torch.fft.fft2`` and one batched ``matrix_norm``.

The reshaped out × (in·k·k) matrix of ``weights.py`` is the map of one
receptive field; the operator seen by a whole image can have a norm up to
k times larger (Sedghi et al. 2019, §1), which is what these variants capture
(the ``_FFT`` measures of Dziugaite et al. 2020's re-implementation).

Conventions (documented choices, each tested):
- The input size n₁ × n₂ of every convolution is the size it sees in the
  network, found by forward hooks on one dummy input of the data's shape.
- The operator is the *circular* one, as in Sedghi et al.; our models pad
  with zeros, so this is the standard circulant surrogate, not the zero-padded map.
  Padding amounts to a circular shift, which leaves singular values unchanged.
- A kernel larger than the input wraps around (taps that land on the same
  pixel modulo n are summed), which is what circular convolution does.
- Stride s (dividing n): the strided operator is the stride-1 circular
  convolution followed by keeping every s-th pixel. Splitting the input into
  its s² polyphase components (x_pq[i, j] = x[s·i + p, s·j + q], a
  permutation, hence norm-preserving) turns it exactly into a stride-1
  convolution on an (n/s)² grid with c_in·s² channels and the sub-kernels
  K[:, :, s·a + p, s·b + q]. So strided layers get their exact norm, not a
  bound. Where s does not divide n, or for dilation and groups, the measure
  fails with a reason.
- Linear layers are their weight matrix; its spectral norm is already exact.
"""

from __future__ import annotations

import torch
from torch import nn

from prunability.measures.context import MeasureFailed, register
from prunability.measures.folding import folded_net
from prunability.measures.margin import log_margin_squared
from prunability.measures.norms import log, spectral_norm
from prunability.measures.spectral import log_sum_form

_LAYERS = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)  # the order of weights.weight_matrices


def wrap_kernel(kernel: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """The kernel's taps summed modulo the input size (a no-op when k ≤ n)."""
    (k1, k2), (n1, n2) = kernel.shape[-2:], size
    padded = nn.functional.pad(kernel, (0, -k2 % n2, 0, -k1 % n1))
    c_out, c_in, p1, p2 = padded.shape
    return padded.reshape(c_out, c_in, p1 // n1, n1, p2 // n2, n2).sum(dim=(2, 4))


def polyphase_kernel(kernel: torch.Tensor, stride: tuple[int, int]) -> torch.Tensor:
    """The stride-1 kernel of c_in·s₁·s₂ channels equivalent to a strided one (see module doc)."""
    s1, s2 = stride
    k1, k2 = kernel.shape[-2:]
    padded = nn.functional.pad(kernel, (0, -k2 % s2, 0, -k1 % s1))
    c_out, c_in, p1, p2 = padded.shape
    # K[o, i, s1·a + p, s2·b + q] -> K'[o, (i, p, q), a, b]
    phases = padded.reshape(c_out, c_in, p1 // s1, s1, p2 // s2, s2).permute(0, 1, 3, 5, 2, 4)
    return phases.reshape(c_out, c_in * s1 * s2, p1 // s1, p2 // s2)


def circular_conv_norm(kernel: torch.Tensor, size: tuple[int, int], stride: tuple[int, int] = (1, 1)) -> float:
    """‖conv_K‖₂ of the circular convolution with ``kernel`` (c_out × c_in × k₁ × k₂) on an n₁ × n₂
    input (Sedghi et al. 2019, Thm. 6), with stride by the polyphase reduction; in float64."""
    (n1, n2), (s1, s2) = size, stride
    if n1 % s1 or n2 % s2:
        raise MeasureFailed(f"stride {s1}×{s2} does not divide the input size {n1}×{n2}, so the circular strided "
                            "convolution is undefined")
    kernel = polyphase_kernel(kernel.detach().double(), stride)
    grid = (n1 // s1, n2 // s2)
    blocks = torch.fft.fft2(wrap_kernel(kernel, grid), s=grid)  # c_out × c_in × n₁ × n₂: P(u, v) per frequency
    return torch.linalg.matrix_norm(blocks.permute(2, 3, 0, 1), ord=2).max().item()


@torch.no_grad()
def conv_input_sizes(net: nn.Module, input_shape: tuple[int, ...]) -> dict[nn.Module, tuple[int, int]]:
    """The spatial size of the input each Conv2d of ``net`` sees, from one dummy forward pass."""
    sizes: dict[nn.Module, tuple[int, int]] = {}

    def hook(module, inputs, _output):
        sizes[module] = tuple(inputs[0].shape[-2:])

    handles = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, nn.Conv2d)]
    try:
        param = next(net.parameters())
        net(torch.zeros(1, *input_shape, dtype=param.dtype, device=param.device))
    finally:
        for h in handles:
            h.remove()
    return sizes


def operator_norm(layer: nn.Module, size: tuple[int, int] | None) -> float:
    """The exact ‖·‖₂ of a Linear layer, or of a Conv2d on an input of ``size``."""
    if isinstance(layer, nn.Linear):
        return spectral_norm(layer.weight.detach())
    if not isinstance(layer, nn.Conv2d):
        raise MeasureFailed(f"the exact operator norm is implemented for Conv2d and Linear, not {type(layer).__name__}")
    if layer.groups != 1 or layer.dilation != (1, 1):
        raise MeasureFailed("the exact conv operator norm is implemented for groups = 1 and dilation = 1 only")
    if size is None:
        raise MeasureFailed("a convolution was not reached by the forward pass, so its input size is unknown")
    return circular_conv_norm(layer.weight, size, layer.stride)


def operator_spectral_sq(net: nn.Module, input_shape: tuple[int, ...]) -> list[float]:
    """‖A_i‖₂² of every conv/linear layer's exact operator, in the order of ``weights.weight_matrices``."""
    sizes = conv_input_sizes(net, input_shape)
    return [operator_norm(m, sizes.get(m)) ** 2 for m in net.modules() if isinstance(m, _LAYERS)]


def exact_spectral_sq(ctx) -> list[float]:
    """Per-layer squared exact operator norms of the trained BN-folded net (cached)."""
    return ctx.cached("exact_spectral_sq", lambda: operator_spectral_sq(folded_net(ctx), tuple(ctx.x_train.shape[1:])))


@register("log_spectral_norm_sum_fft", sign=+1)
def log_spectral_norm_sum_fft(ctx) -> float:
    """Σ_i log ‖A_i‖₂² with A_i the exact operator of layer i (convolutions via FFT, Sedghi et al.
    2019, Thm. 6): Jiang et al. 2020, eq. 32, "log.prod.of.spec", with the exact conv norm
    (their "_fft" variant). Expected sign +1, as eq. 32."""
    return sum(log(s) for s in exact_spectral_sq(ctx))


@register("log_spec_over_margin_fft", sign=+1)
def log_spec_over_margin_fft(ctx) -> float:
    """S_fft − 2 log γ (Jiang et al. 2020, eq. 31, "log.prod.of.spec.over.margin", with exact
    conv operator norms, Sedghi et al. 2019). Expected sign +1; fails where γ ≤ 0."""
    return log_spectral_norm_sum_fft(ctx) - log_margin_squared(ctx)


@register("log_sum_spec_fft", sign=+1)
def log_sum_spec_fft(ctx) -> float:
    """log d + S_fft/d (Jiang et al. 2020, eq. 35, "log.sum.of.spec", with exact conv operator
    norms, Sedghi et al. 2019). Expected sign +1."""
    return log_sum_form(log_spectral_norm_sum_fft(ctx), len(exact_spectral_sq(ctx)))


@register("log_sum_spec_over_margin_fft", sign=+1)
def log_sum_spec_over_margin_fft(ctx) -> float:
    """log d + (S_fft − 2 log γ)/d (Jiang et al. 2020, eq. 34, "log.sum.of.spec.over.margin",
    with exact conv operator norms, Sedghi et al. 2019). Expected sign +1; fails where γ ≤ 0."""
    return log_sum_form(log_spectral_norm_sum_fft(ctx) - log_margin_squared(ctx), len(exact_spectral_sq(ctx)))

