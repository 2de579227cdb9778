"""SPEC.md's closed-form forward and gradient, written with tensor ops in any dtype. The generator
runs it in float32 as a second float32 implementation (besides the DIST class under autograd) whose
error the tolerances must cover: fast backends use this closed form, not autograd. With
one_pass=True it takes the sums the way SPEC.md warns against (sum(x*y) - n*mean(x)*mean(y)), a
known-bad float32 implementation that the tolerances must reject."""
import torch


def _corr_and_grad(x, y, eps, eps_mode, one_pass):
    """Row-wise corr(x_i, y_i) and d corr / d x_i, for x, y of shape [n, m]."""
    xm = x.mean(dim=1, keepdim=True)
    ym = y.mean(dim=1, keepdim=True)
    xc = x - xm
    yc = y - ym
    if one_pass:
        m = x.shape[1]
        sxy = (x * y).sum(dim=1, keepdim=True) - m * xm * ym
        sxx = ((x * x).sum(dim=1, keepdim=True) - m * xm * xm).clamp(min=0)
        syy = ((y * y).sum(dim=1, keepdim=True) - m * ym * ym).clamp(min=0)
    else:
        sxy = (xc * yc).sum(dim=1, keepdim=True)
        sxx = (xc * xc).sum(dim=1, keepdim=True)
        syy = (yc * yc).sum(dim=1, keepdim=True)
    inside = eps if eps_mode == 'design-note' else 0.0
    a = torch.sqrt(sxx + inside)
    b = torch.sqrt(syy + inside)
    d = a * b + eps
    r = sxy / d
    # The limit of r * (b / a) * xc as a -> 0 is 0 (every xc is 0 there).
    ratio = torch.where(a > 0, b / torch.where(a > 0, a, torch.ones_like(a)), torch.zeros_like(a))
    return r.squeeze(1), yc / d - r * ratio * xc / d


def closed_form(logits_s, logits_t, beta, gamma, tau, eps, eps_mode, one_pass=False):
    B, C = logits_s.shape
    p = torch.softmax(logits_s / tau, dim=1)
    q = torch.softmax(logits_t / tau, dim=1)
    r_rows, g_rows = _corr_and_grad(p, q, eps, eps_mode, one_pass)
    r_cols, g_cols = _corr_and_grad(p.t(), q.t(), eps, eps_mode, one_pass)
    scale = tau * tau
    loss = beta * scale * (1 - r_rows).mean() + gamma * scale * (1 - r_cols).mean()
    G = -(beta * scale / B) * g_rows - (gamma * scale / C) * g_cols.t()
    grad = p * (G - (p * G).sum(dim=1, keepdim=True)) / tau
    return loss, grad
