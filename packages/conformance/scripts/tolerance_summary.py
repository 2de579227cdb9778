#!/usr/bin/python3
"""How tight the golden tolerances are relative to the values: loss_atol / |loss| over cases with
|loss| > 0.1 and grad_atol / max|grad| over cases with max|grad| > 1e-3 (smaller values are
near-zero results, where only absolute tolerances mean anything).

  python3 scripts/tolerance_summary.py [golden.json ...]     (default: the bundled files)
"""
import json
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
files = sys.argv[1:] or [os.path.join(HERE, '..', 'golden', f) for f in ('design-note.json', 'official.json')]
loss, grad = [], []
for path in files:
    with open(path) as f:
        for case in json.load(f)['cases']:
            largest = max(abs(g) for g in case['grad_s'])
            if abs(case['loss']) > 0.1:
                loss.append((case['tol']['loss_atol'] / abs(case['loss']), case['name']))
            if largest > 1e-3:
                grad.append((case['tol']['grad_atol'] / largest, case['name']))
for label, ratios in (('loss_atol / |loss|', loss), ('grad_atol / max|grad|', grad)):
    ratios.sort()
    print(f'{label}: {len(ratios)} cases, median {statistics.median(r for r, _ in ratios):.1e}, '
          f'from {ratios[0][0]:.1e} ({ratios[0][1]}) to {ratios[-1][0]:.1e} ({ratios[-1][1]})')
