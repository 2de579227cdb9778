"""SPEC.md's closed-form forward and gradient, written with tensor ops in any dtype. The generator
runs it in float32 as a second float32 implementation (besides the DIST class under autograd) whose
error the tolerances must cover: fast backends use this closed form, not autograd."""
import torch


def _corr_and_grad(x, y, eps, eps_mode):
    """Row-wise corr(x_i, y_i) and d corr / d x_i, for x, y of shape [n, m]."""
    xc = x - x.mean(dim=1, keepdim=True)
    yc = y - y.mean(dim=1, keepdim=True)
    sxy = (xc * yc).sum(dim=1, keepdim=True)
    inside = eps if eps_mode == 'design-note' else 0.0
    a = torch.sqrt((xc * xc).sum(dim=1, keepdim=True) + inside)
    b = torch.sqrt((yc * yc).sum(dim=1, keepdim=True) + inside)
    d = a * b + eps
    r = sxy / d
    # The limit of r * (b / a) * xc as a -> 0 is 0 (every xc is 0 there).
    ratio = torch.where(a > 0, b / torch.where(a > 0, a, torch.ones_like(a)), torch.zeros_like(a))
    return r.squeeze(1), yc / d - r * ratio * xc / d


def closed_form(logits_s, logits_t, beta, gamma, tau, eps, eps_mode):
    B, C = logits_s.shape
    p = torch.softmax(logits_s / tau, dim=1)
    q = torch.softmax(logits_t / tau, dim=1)
    r_rows, g_rows = _corr_and_grad(p, q, eps, eps_mode)
    r_cols, g_cols = _corr_and_grad(p.t(), q.t(), eps, eps_mode)
    scale = tau * tau
    loss = beta * scale * (1 - r_rows).mean() + gamma * scale * (1 - r_cols).mean()
    G = -(beta * scale / B) * g_rows - (gamma * scale / C) * g_cols.t()
    grad = p * (G - (p * G).sum(dim=1, keepdim=True)) / tau
    return loss, grad
