"""The design note's PyTorch DIST, copied as written (seed/DIST-design-note.md), plus the official
eps placement as a minimal subclass. The golden generator imports these; nothing here is changed from
the note except that the module has no __main__ demo."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class DIST(nn.Module):
    def __init__(self, beta=2.0, gamma=2.0, tau=6.0):
        super().__init__()
        self.beta = beta
        self.gamma = gamma
        self.tau = tau
        self.eps = 1e-8

    def pearson_corr(self, x, y):
        xm = x.mean(dim=1, keepdim=True)
        ym = y.mean(dim=1, keepdim=True)
        x_c = x - xm
        y_c = y - ym
        num = (x_c * y_c).sum(dim=1)
        denom = torch.sqrt((x_c**2).sum(dim=1) + self.eps) * torch.sqrt((y_c**2).sum(dim=1) + self.eps)
        return num / (denom + self.eps)

    def forward(self, logits_s, logits_t):
        B, C = logits_s.shape
        y_s = F.softmax(logits_s / self.tau, dim=1)
        y_t = F.softmax(logits_t / self.tau, dim=1)

        # Inter-class correlation
        corr_inter = self.pearson_corr(y_s, y_t)
        L_inter = (1.0 - corr_inter).mean()

        # Intra-class correlation
        y_s_T = y_s.transpose(0,1)
        y_t_T = y_t.transpose(0,1)
        corr_intra = self.pearson_corr(y_s_T, y_t_T)
        L_intra = (1.0 - corr_intra).mean()

        # Temperature scaling
        scale = self.tau ** 2
        L_inter *= scale
        L_intra *= scale

        loss = self.beta * L_inter + self.gamma * L_intra
        return loss


class OfficialDIST(DIST):
    """hunto/DIST_KD's placement: Sxy / (sqrt(Sxx) * sqrt(Syy) + eps), no eps inside the roots."""

    def pearson_corr(self, x, y):
        x_c = x - x.mean(dim=1, keepdim=True)
        y_c = y - y.mean(dim=1, keepdim=True)
        num = (x_c * y_c).sum(dim=1)
        denom = torch.sqrt((x_c**2).sum(dim=1)) * torch.sqrt((y_c**2).sum(dim=1))
        return num / (denom + self.eps)


EPS_MODES = {'design-note': DIST, 'official': OfficialDIST}


def make_dist(beta, gamma, tau, eps, eps_mode):
    dist = EPS_MODES[eps_mode](beta=beta, gamma=gamma, tau=tau)
    dist.eps = eps
    return dist


def dist_terms(dist, logits_s, logits_t):
    """The unscaled inter and intra terms, from the class's own pearson_corr and softmax."""
    y_s = F.softmax(logits_s / dist.tau, dim=1)
    y_t = F.softmax(logits_t / dist.tau, dim=1)
    inter = (1.0 - dist.pearson_corr(y_s, y_t)).mean()
    intra = (1.0 - dist.pearson_corr(y_s.transpose(0, 1), y_t.transpose(0, 1))).mean()
    return inter, intra


def loss_and_gradients(dist, logits_s, logits_t):
    """Loss through forward, and autograd gradients with respect to both student and teacher."""
    s = logits_s.detach().clone().requires_grad_(True)
    t = logits_t.detach().clone().requires_grad_(True)
    loss = dist(s, t)
    loss.backward()
    return loss.detach(), s.grad.detach(), t.grad.detach()
