"""PyTorch float32 on the inputs accuracy.mjs writes: the design note's DIST class (or the official
placement's subclass) under autograd, the same baseline as the bench's pytorch subject (for the
sigmoid, the class's steps with the activation changed, as the golden generator's extensions do).
Reads a JSON header line and raw float32 logits from argv[1], writes the float32 gradient to argv[2];
argv[3] is the conformance package's scripts folder."""
import json
import sys

import numpy as np
import torch

sys.path.insert(0, sys.argv[3])
from dist_design_note import DIST, OfficialDIST  # noqa: E402
from golden_extensions import loss as extension_loss  # noqa: E402

with open(sys.argv[1], 'rb') as f:
    header = json.loads(f.readline())
    values = np.frombuffer(f.read(), dtype=np.float32)
B, C = header['batch'], header['classes']
s = torch.from_numpy(values[: B * C].copy()).reshape(B, C).requires_grad_(True)
t = torch.from_numpy(values[B * C :].copy()).reshape(B, C)
cls = OfficialDIST if header['epsMode'] == 'official' else DIST
loss = extension_loss(cls(beta=header['beta'], gamma=header['gamma'], tau=header['tau']), s, t, header['activation'])
loss.backward()
s.grad.numpy().astype(np.float32).tofile(sys.argv[2])
print(json.dumps({'loss': loss.item()}))
