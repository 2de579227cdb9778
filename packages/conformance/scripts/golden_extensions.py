"""SPEC "Extensions" in PyTorch, around the design note's class as written: row masks (the class on
the kept rows; autograd gives 0 on the others), the sigmoid activation (the official detection code's
`use_sigmoid`), the loss without tau^2 (the paper's appendix), and dense logits (NCHW or NHWC tensors
whose rows are taken by a permute, so the gradient comes back in the input's layout by autograd)."""
import torch
import torch.nn.functional as F

from golden_cases import normal


def activate(logits, tau, activation):
    return torch.sigmoid(logits / tau) if activation == 'sigmoid' else F.softmax(logits / tau, dim=1)


def terms(dist, rows_s, rows_t, activation):
    """Unscaled inter and intra of [B, C] rows, with the class's own pearson_corr."""
    y_s = activate(rows_s, dist.tau, activation)
    y_t = activate(rows_t, dist.tau, activation)
    inter = (1.0 - dist.pearson_corr(y_s, y_t)).mean()
    intra = (1.0 - dist.pearson_corr(y_s.transpose(0, 1), y_t.transpose(0, 1))).mean()
    return inter, intra


def loss(dist, rows_s, rows_t, activation='softmax', tau_squared=True):
    """The loss of [B, C] rows: the class's forward as written for its own case (softmax, tau^2),
    otherwise the same steps with the activation or the scale changed."""
    if activation == 'softmax' and tau_squared:
        return dist(rows_s, rows_t)
    inter, intra = terms(dist, rows_s, rows_t, activation)
    scale = dist.tau ** 2 if tau_squared else 1.0
    return dist.beta * scale * inter + dist.gamma * scale * intra


def to_rows(logits, layout):
    """[N*H*W, C] rows of dense logits (row order n, h, w), or the rows themselves."""
    if layout == 'nchw':
        return logits.permute(0, 2, 3, 1).reshape(-1, logits.shape[1])
    if layout == 'nhwc':
        return logits.reshape(-1, logits.shape[3])
    return logits


def rows_and_mask(spec):
    """The case's kept rows (student, teacher) in float64, and the boolean mask over all rows."""
    rows_s = to_rows(spec['logits_s'], spec['layout'])
    rows_t = to_rows(spec['logits_t'], spec['layout'])
    keep = torch.ones(rows_s.shape[0], dtype=torch.bool) if spec['mask'] is None else spec['mask'].bool()
    return rows_s[keep], rows_t[keep], keep


def golden_values(dist, spec, dtype=torch.float64):
    """(loss, inter, intra, gradient in the input's layout), by autograd through mask and layout."""
    s = spec['logits_s'].to(dtype).detach().clone().requires_grad_(True)
    t = spec['logits_t'].to(dtype)
    keep = torch.ones(to_rows(s, spec['layout']).shape[0], dtype=torch.bool) if spec['mask'] is None else spec['mask'].bool()
    if not bool(keep.any()):
        # SPEC "Row masks": no kept row gives 0 and a zero gradient, not the NaN of a mean over nothing.
        return torch.zeros((), dtype=dtype), 0.0, 0.0, torch.zeros_like(s)
    rows_s = to_rows(s, spec['layout'])[keep]
    rows_t = to_rows(t, spec['layout'])[keep]
    value = loss(dist, rows_s, rows_t, spec['activation'], spec['tau_squared'])
    value.backward()
    inter, intra = terms(dist, rows_s.detach(), rows_t, spec['activation'])
    return value.detach(), float(inter), float(intra), s.grad.detach()


def _mask_every(n, period, offset=0):
    return torch.tensor([0.0 if (k + offset) % period == 0 else 1.0 for k in range(n)], dtype=torch.float64)


def _labels_mask(n, g, ignore_fraction=0.3):
    """A pixel mask as labels with ignore index 255 give it: about `ignore_fraction` ignored."""
    return (torch.rand(n, generator=g) >= ignore_fraction).to(torch.float64)


def _spec(name, shape, layout='rows', mask=None, activation='softmax', tau_squared=True, scale=3.0,
          beta=2.0, gamma=2.0, tau=6.0, eps=1e-8, eps_mode='design-note'):
    return dict(name=name, shape=shape, layout=layout, mask=mask, activation=activation, tau_squared=tau_squared,
                scale=scale, beta=beta, gamma=gamma, tau=tau, eps=eps, eps_mode=eps_mode)


def _rows_count(shape, layout):
    if layout == 'rows':
        return shape[0]
    n, a, b, c = shape
    return n * b * c if layout == 'nchw' else n * a * b


EXTENSION_CASES = [
    _spec('masked_8x10', (8, 10), mask=lambda g, n: _mask_every(n, 3)),
    _spec('masked_padding_12x7_tau1', (12, 7), mask=lambda g, n: _mask_every(n, 4, 1), beta=1.0, gamma=1.0, tau=1.0),
    _spec('masked_official_10x9', (10, 9), mask=lambda g, n: _mask_every(n, 3, 2), beta=1.0, gamma=1.0, tau=1.0,
          eps_mode='official'),
    _spec('masked_one_kept_5x6', (5, 6), mask=lambda g, n: torch.tensor([0.0, 0.0, 1.0, 0.0, 0.0])),
    _spec('masked_none_kept_4x6', (4, 6), mask=lambda g, n: torch.zeros(n, dtype=torch.float64)),
    _spec('sigmoid_8x10_tau1', (8, 10), activation='sigmoid', beta=1.0, gamma=1.0, tau=1.0, eps_mode='official'),
    _spec('sigmoid_design_note_6x12', (6, 12), activation='sigmoid', tau=2.0),
    _spec('sigmoid_large_logits_5x8', (5, 8), activation='sigmoid', scale=12.0, beta=1.0, gamma=1.0, tau=1.0,
          eps_mode='official'),
    _spec('sigmoid_masked_9x6', (9, 6), activation='sigmoid', mask=lambda g, n: _mask_every(n, 3), beta=1.0,
          gamma=1.0, tau=1.0),
    _spec('tau_squared_off_5x8', (5, 8), tau_squared=False, tau=4.0, beta=1.0, gamma=1.0),
    _spec('nchw_2x5x3x4_labels255', (2, 5, 3, 4), layout='nchw', mask=lambda g, n: _labels_mask(n, g), beta=1.0,
          gamma=1.0, tau=1.0, eps_mode='official'),
    _spec('nhwc_2x3x4x6', (2, 3, 4, 6), layout='nhwc', tau=2.0),
    _spec('nchw_sigmoid_1x4x4x4', (1, 4, 4, 4), layout='nchw', activation='sigmoid',
          mask=lambda g, n: _mask_every(n, 5), beta=1.0, gamma=1.0, tau=1.0),
    _spec('wide_2x8192', (2, 8192), beta=1.0, gamma=1.0, tau=1.0),
    _spec('wide_masked_3x5000_official', (3, 5000), mask=lambda g, n: torch.tensor([1.0, 0.0, 1.0]), beta=1.0,
          gamma=1.0, tau=1.0, eps_mode='official'),
]

# Wide rows, for the CLI user (`--wide`): too large to ship in the package.
WIDE_CASES = [
    _spec('wide_2x131072', (2, 131072), beta=1.0, gamma=1.0, tau=1.0),
    _spec('wide_official_2x131072', (2, 131072), beta=1.0, gamma=1.0, tau=1.0, eps_mode='official'),
    _spec('wide_near_uniform_2x120000', (2, 120000), scale=1e-2, tau=6.0),
    _spec('wide_1x262144', (1, 262144), beta=1.0, gamma=1.0, tau=1.0),
    _spec('wide_sigmoid_2x262144', (2, 262144), activation='sigmoid', beta=1.0, gamma=1.0, tau=1.0),
]


def extension_specs(templates, seed, float32_exact):
    import zlib
    specs = []
    for template in templates:
        g = torch.Generator().manual_seed((seed ^ zlib.crc32(template['name'].encode())) & 0x7FFFFFFF)
        shape = template['shape']
        count = 1
        for d in shape:
            count *= d
        s, t = normal(template['scale'])(g, 1, count)
        spec = {k: v for k, v in template.items() if k not in ('shape', 'scale', 'mask')}
        spec['dims'] = shape
        spec['logits_s'] = float32_exact(s.reshape(shape))
        spec['logits_t'] = float32_exact(t.reshape(shape))
        rows = _rows_count(shape, template['layout'])
        spec['mask'] = None if template['mask'] is None else template['mask'](g, rows).to(torch.float64)
        specs.append(spec)
    return specs
