"""The exact conv operator norm (Sedghi et al. 2019, via FFT) against the largest
singular value of the explicit circular-convolution matrix built here, tap by
tap, without any FFT; strides, wrap-around kernels and the measures built on it."""

import math

import pytest
import torch
from torch import nn

from prunability.measures import MEASURES, MeasureFailed, compute_measures
from prunability.measures.conv_spectral import circular_conv_norm, conv_input_sizes, operator_spectral_sq
from prunability.measures.folding import fold_batchnorm


def circular_conv(kernel, x, stride=1):
    """y[o, i, j] = Σ_{c,a,b} K[o, c, a, b] · x[c, (s·i + a) mod n, (s·j + b) mod n], for a batch x."""
    k1, k2 = kernel.shape[-2:]
    y = 0
    for a in range(k1):
        for b in range(k2):
            shifted = torch.roll(x, shifts=(-a, -b), dims=(-2, -1))[..., ::stride, ::stride]
            y = y + torch.einsum("oc,ncij->noij", kernel[:, :, a, b], shifted)
    return y


def dense_matrix(kernel, n, stride=1):
    """The (c_out·(n/s)²) × (c_in·n²) matrix of the circular convolution, column by column."""
    c_in = kernel.shape[1]
    basis = torch.eye(c_in * n * n, dtype=torch.float64).reshape(-1, c_in, n, n)
    return circular_conv(kernel.double(), basis, stride).reshape(len(basis), -1).T


def largest_singular_value(kernel, n, stride=1):
    return torch.linalg.svdvals(dense_matrix(kernel, n, stride))[0].item()


def random_kernel(c_out, c_in, k, seed=0):
    return torch.randn(c_out, c_in, k, k, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def test_the_tap_by_tap_convolution_matches_torch_with_circular_padding():
    kernel, x = random_kernel(3, 2, 3), torch.randn(4, 2, 6, 6, dtype=torch.float64)
    conv = nn.Conv2d(2, 3, 3, stride=2, padding=0, bias=False).double()
    conv.weight.data.copy_(kernel)
    wrapped = torch.cat([x, x[..., :2, :]], dim=-2)
    wrapped = torch.cat([wrapped, wrapped[..., :2]], dim=-1)  # circular padding at the far edges
    torch.testing.assert_close(circular_conv(kernel, x, stride=2), conv(wrapped))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fft_norm_equals_the_largest_singular_value_of_the_dense_matrix(seed):
    kernel = random_kernel(3, 2, 3, seed)
    expected = largest_singular_value(kernel, 5)
    assert circular_conv_norm(kernel, (5, 5)) == pytest.approx(expected, rel=1e-10)
    # ... and differs from the reshaped out × (in·k·k) matrix's norm, which is why it is a separate measure.
    assert abs(expected - torch.linalg.matrix_norm(kernel.reshape(3, -1), ord=2).item()) > 1e-3


def test_a_1x1_convolution_is_its_channel_matrix():
    kernel = random_kernel(4, 3, 1)
    expected = torch.linalg.matrix_norm(kernel[:, :, 0, 0], ord=2).item()
    assert circular_conv_norm(kernel, (6, 6)) == pytest.approx(expected, rel=1e-10)
    assert circular_conv_norm(kernel, (6, 6), (2, 2)) == pytest.approx(expected, rel=1e-10)  # subsampling a 1×1 map


@pytest.mark.parametrize("n, k, stride", [(4, 3, 2), (6, 3, 2), (6, 3, 3), (8, 5, 2), (2, 3, 2)])
def test_strided_convolutions_get_their_exact_norm_by_polyphase_reduction(n, k, stride):
    kernel = random_kernel(3, 2, k, seed=n + k)
    expected = largest_singular_value(kernel, n, stride)
    assert circular_conv_norm(kernel, (n, n), (stride, stride)) == pytest.approx(expected, rel=1e-10)
    assert expected < largest_singular_value(kernel, n) + 1e-12  # subsampling never increases the norm


@pytest.mark.parametrize("n", [1, 2])
def test_a_kernel_larger_than_its_input_wraps_around(n):
    kernel = random_kernel(3, 2, 3, seed=n)
    assert circular_conv_norm(kernel, (n, n)) == pytest.approx(largest_singular_value(kernel, n), rel=1e-10)


def test_a_stride_that_does_not_divide_the_input_is_a_recorded_failure():
    with pytest.raises(MeasureFailed, match="does not divide"):
        circular_conv_norm(random_kernel(3, 2, 3), (5, 5), (2, 2))


def test_each_conv_sees_the_input_size_of_its_place_in_the_network():
    net = nn.Sequential(nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(4, 4, 1), nn.MaxPool2d(2),
                        nn.Conv2d(4, 3, 3, padding=1), nn.Flatten(), nn.Linear(3 * 2 * 2, 5))
    sizes = conv_input_sizes(net, (1, 8, 8))
    assert [sizes[m] for m in net if isinstance(m, nn.Conv2d)] == [(8, 8), (4, 4), (2, 2)]
    expected = [largest_singular_value(net[0].weight.detach(), 8, 2) ** 2,
                largest_singular_value(net[2].weight.detach(), 4) ** 2,
                largest_singular_value(net[4].weight.detach(), 2) ** 2,
                torch.linalg.matrix_norm(net[6].weight.detach().double(), ord=2).item() ** 2]
    assert operator_spectral_sq(net, (1, 8, 8)) == pytest.approx(expected, rel=1e-6)


FFT_MEASURES = ["log_spectral_norm_sum_fft", "log_spec_over_margin_fft", "log_sum_spec_fft",
                "log_sum_spec_over_margin_fft"]


def test_fft_measures_of_a_trained_bn_nin_match_dense_matrices_of_its_folded_convs(trained_nin_bn, make_context):
    model, init, x, y = trained_nin_bn
    ctx = make_context(model, init, x, y)
    folded = fold_batchnorm(model.net)
    sizes, n = [], x.shape[-1]
    for m in folded.modules():  # 3×3 stride-2 conv on 8×8, then 1×1 convs (and the 1×1 head) on 4×4
        if isinstance(m, nn.Conv2d):
            sizes.append(largest_singular_value(m.weight.detach(), n, m.stride[0]) ** 2)
            n //= m.stride[0]
    s = sum(math.log(v) for v in sizes)
    log_g2 = 2 * math.log(MEASURES.get("inverse_margin")(ctx) ** -0.5)
    d = len(sizes)
    expected = [s, s - log_g2, math.log(d) + s / d, math.log(d) + (s - log_g2) / d]
    results = compute_measures(ctx, FFT_MEASURES)
    assert [results[k].value for k in FFT_MEASURES] == pytest.approx(expected, rel=1e-6)
    # The operator norm of a 3×3 conv exceeds that of its reshaped matrix here; 1×1 convs agree.
    assert results["log_spectral_norm_sum_fft"].value > MEASURES.get("log_spectral_norm_sum")(ctx)


def test_a_grouped_convolution_is_a_recorded_failure(make_plain, make_context):
    net = nn.Sequential(nn.Conv2d(2, 2, 3, padding=1, groups=2), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    model = make_plain(net, channels=2)
    x, y = torch.zeros(2, 2, 4, 4, dtype=torch.uint8), torch.zeros(2, dtype=torch.int64)
    r = compute_measures(make_context(model, None, x, y), ["log_spectral_norm_sum_fft"])["log_spectral_norm_sum_fft"]
    assert math.isnan(r.value) and "groups" in r.reason
