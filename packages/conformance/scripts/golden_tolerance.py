"""The tolerance model of TOLERANCES.md, in Python for the golden generator. src/tolerance.ts is the
same model in TypeScript; test/tolerance.test.ts checks that both give the same numbers."""
import math
import struct

import torch

# Unit roundoff of float32 (round to nearest): every float32 operation has relative error <= U32.
U32 = 2.0 ** -24
# Relative error, in units of the unit roundoff, of one softmax probability apart from the error of
# its exponent's argument: exp (up to ~12 ulp for fast polynomial exps), the division by the row sum
# and that sum's own rounding.
K_SOFTMAX = 16.0
# How far above the modelled error a backend may be: the model is a sample of rounding patterns.
SAFETY = 8.0
# Rounding patterns sampled.
SAMPLES = 3


def _imul(a, b):
    return (a * b) & 0xFFFFFFFF


def _fmix32(h):
    """MurmurHash3's finaliser: a well-mixed 32-bit hash (mirrored in src/tolerance.ts)."""
    h ^= h >> 16
    h = _imul(h, 0x85EBCA6B)
    h ^= h >> 13
    h = _imul(h, 0xC2B2AE35)
    h ^= h >> 16
    return h


def _float32_bits(value):
    return struct.unpack('<I', struct.pack('<f', value))[0]


def rounding_sign(logit, row_max, sample):
    """+1 or -1: the direction of the modelled rounding error. It depends only on the values a backend
    rounds (the logit and its row's maximum), never on the position: equal inputs round alike, so a
    constant row stays constant and identical student and teacher stay identical."""
    h = _fmix32(_float32_bits(logit) ^ _fmix32(_float32_bits(row_max) ^ _imul(sample + 1, 0x9E3779B1)))
    return 1.0 if h & 0x80000000 else -1.0


def rounding_perturbation(logits, tau, unit, sample):
    """The modelled float32 error of softmax(logits / tau), as an equivalent perturbation of each
    logit: dividing by tau and subtracting the row maximum each round a value up to
    (|z| + max|z|) / tau, and the rest of the softmax costs K_SOFTMAX roundings (relative to p, which is
    tau times that in logit units)."""
    B, C = logits.shape
    out = torch.empty(B, C, dtype=torch.float64)
    for i in range(B):
        row = logits[i].tolist()
        row_max = max(row)
        largest = max(abs(v) for v in row)
        for j, v in enumerate(row):
            out[i, j] = unit * (tau * K_SOFTMAX + abs(v) + largest) * rounding_sign(v, row_max, sample)
    return out


def _corr_term_magnitudes(x, y, eps, eps_mode):
    """Per row of x, y ([n, m]): (|yc| + |mean y|) / D + |r| * (b / a) * (|xc| + |mean x|) / D, the
    sizes of the two terms of d corr / dx = yc / D - r * (b / a) * xc / D as a backend rounds them:
    a float32 mean is off by about u * |mean|, which leaves that residual in every centred value,
    however small the centred values are. The ratio is 0 where a = 0 (its limit)."""
    xm = x.mean(dim=1, keepdim=True)
    ym = y.mean(dim=1, keepdim=True)
    xc = x - xm
    yc = y - ym
    if x.shape[1] == 1:
        # The mean of one value is that value: centring is exact.
        xm = torch.zeros_like(xm)
        ym = torch.zeros_like(ym)
    inside = eps if eps_mode == 'design-note' else 0.0
    a = torch.sqrt((xc * xc).sum(dim=1, keepdim=True) + inside)
    b = torch.sqrt((yc * yc).sum(dim=1, keepdim=True) + inside)
    d = a * b + eps
    r = (xc * yc).sum(dim=1, keepdim=True) / d
    ratio = torch.where(a > 0, b / torch.where(a > 0, a, torch.ones_like(a)), torch.zeros_like(a))
    return (yc.abs() + ym.abs() + r.abs() * ratio * (xc.abs() + xm.abs())) / d


def term_weights(beta, gamma, tau, tau_squared=True):
    """core's termWeights: beta * tau^2 and gamma * tau^2, or beta and gamma without tau^2."""
    scale = tau * tau if tau_squared else 1.0
    return beta * scale, gamma * scale


def gradient_term_scale(logits_s, logits_t, beta, gamma, tau, eps, eps_mode, activation='softmax', tau_squared=True):
    """Per element, the size of the terms the gradient is the difference of, and the largest factor
    the activation's backward multiplies G by (max p; max p * (1 - p) for sigmoid). With Gs the sizes
    of G's row and column parts, the softmax backward p_j * (G_j - sum_k p_k G_k) / tau equals
    p_j * sum_{k != j} p_k (G_j - G_k) / tau, whose terms are bounded by
    p_j * ((1 - 2 p_j) Gs_j + sum_k p_k Gs_k) / tau; the sigmoid backward's are p_j (1 - p_j) Gs_j / tau.
    Rounding in the gradient's arithmetic is relative to these, not to the (possibly much smaller)
    result."""
    B, C = logits_s.shape
    sigmoid = activation == 'sigmoid'
    p = torch.sigmoid(logits_s / tau) if sigmoid else torch.softmax(logits_s / tau, dim=1)
    q = torch.sigmoid(logits_t / tau) if sigmoid else torch.softmax(logits_t / tau, dim=1)
    rows = _corr_term_magnitudes(p, q, eps, eps_mode)
    cols = _corr_term_magnitudes(p.t(), q.t(), eps, eps_mode).t()
    w_inter, w_intra = term_weights(beta, gamma, tau, tau_squared)
    G = abs(w_inter) / B * rows + abs(w_intra) / C * cols
    if sigmoid:
        factor = p * (1 - p)
        return factor * G / tau, float(factor.max())
    return p * ((1 - 2 * p) * G + (p * G).sum(dim=1, keepdim=True)).clamp(min=0) / tau, float(p.max())


def tolerance(evaluate, logits_s, logits_t, beta, gamma, tau, eps, eps_mode, unit=U32, activation='softmax',
              tau_squared=True):
    """(loss_atol, grad_atol) for a backend whose arithmetic has unit roundoff `unit`, on [B, C] rows
    (a masked or dense case passes its kept rows).

    evaluate(s, t) returns (loss, dloss/ds) in float64. Each bound is SAFETY times the largest change
    of the float64 loss (gradient) under the modelled rounding of the softmax, plus the rounding of
    the sums that follow it."""
    B, C = logits_s.shape
    loss, grad = evaluate(logits_s, logits_t)
    loss_change = 0.0
    grad_change = 0.0
    for sample in range(SAMPLES):
        s = logits_s + rounding_perturbation(logits_s, tau, unit, sample)
        t = logits_t + rounding_perturbation(logits_t, tau, unit, sample)
        perturbed_loss, perturbed_grad = evaluate(s, t)
        loss_change = max(loss_change, abs(float(perturbed_loss) - float(loss)))
        grad_change = max(grad_change, float((perturbed_grad - grad).abs().max()))
    # Each correlation's sums and the means over rows and columns round too: relative error about
    # sqrt(length) units on terms of size (|beta| + |gamma|) * tau^2.
    w_inter, w_intra = term_weights(beta, gamma, tau, tau_squared)
    weight = abs(w_inter) + abs(w_intra)
    loss_sums = unit * weight * (math.sqrt(B) + math.sqrt(C))
    # The gradient's arithmetic rounds relative to the terms it cancels; weight / tau times the
    # activation's factor (max p: 1 where C = 1) is the gradient's scale where every term is zero.
    scale, factor = gradient_term_scale(logits_s, logits_t, beta, gamma, tau, eps, eps_mode, activation, tau_squared)
    grad_sums = unit * math.sqrt(B + C) * (float(scale.max()) + weight / tau * factor)
    return SAFETY * (loss_change + loss_sums), SAFETY * (grad_change + grad_sums)
