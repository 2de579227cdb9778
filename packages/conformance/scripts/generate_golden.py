#!/usr/bin/python3
"""Writes the dist-golden/1 files of @dist-kd/conformance.

Runs the design note's PyTorch DIST as written (dist_design_note.py) in float64 on inputs rounded to
float32: loss through forward, inter/intra through the class's pearson_corr, grad_s through autograd.
Each case gets a `tol` for float32 backends from the model in golden_tolerance.py (TOLERANCES.md), and
the same class run in float32 must stay within it, or the script fails.

  /usr/bin/python3 scripts/generate_golden.py                   # the bundled files, into golden/
  /usr/bin/python3 scripts/generate_golden.py --seed 7 --out /tmp/my-golden
  /usr/bin/python3 scripts/generate_golden.py --inputs my-logits.json --out /tmp/my-golden
  /usr/bin/python3 scripts/generate_golden.py --wide --out /tmp/wide    # wide.json: rows of 120,000 to 262,144 classes

Besides design-note.json and official.json it writes extensions.json: SPEC "Extensions" cases (masks,
sigmoid, tau_squared false, NCHW and NHWC layouts, wider rows) from golden_extensions.py, seeded by
--extension-seed.

--inputs takes {"cases": [{"name", "B", "C", "logits_s", "logits_t", and optionally "beta", "gamma",
"tau", "eps", "eps_mode"}]}; logits are rounded to float32.
"""
import argparse
import json
import math
import os
import sys

import torch

from closed_form import closed_form
from dist_design_note import dist_terms, loss_and_gradients, make_dist
import golden_extensions as extensions
from golden_cases import bundled_cases
from golden_tolerance import tolerance

DEFAULT_SEED = 20260101
DEFAULT_EXTENSION_SEED = 20261202
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, '..', 'golden')


def float32_exact(values):
    """Rounds to float32 and returns float64, so JSON carries exactly the float32 values."""
    return values.to(torch.float32).to(torch.float64)


def build_case(spec):
    dist = make_dist(spec['beta'], spec['gamma'], spec['tau'], spec['eps'], spec['eps_mode'])
    s = spec['logits_s']
    t = spec['logits_t']
    def evaluate(a, b):
        loss, grad, _ = loss_and_gradients(dist, a, b)
        return loss, grad

    loss, grad_s = evaluate(s, t)
    inter, intra = dist_terms(dist, s, t)
    if not bool(torch.isfinite(grad_s).all()) or not math.isfinite(float(loss)):
        raise ValueError(f"case {spec['name']}: PyTorch gives a non-finite loss or gradient; "
                         'in official mode avoid zero-variance rows and columns (B = 1, C = 1, constants)')
    loss_atol, grad_atol = tolerance(evaluate, s, t, spec['beta'], spec['gamma'], spec['tau'],
                                     spec['eps'], spec['eps_mode'])
    case = {
        'name': spec['name'],
        'B': s.shape[0],
        'C': s.shape[1],
        'beta': spec['beta'],
        'gamma': spec['gamma'],
        'tau': spec['tau'],
        'eps': spec['eps'],
        'eps_mode': spec['eps_mode'],
        'logits_s': s.flatten().tolist(),
        'logits_t': t.flatten().tolist(),
        'loss': float(loss),
        'inter': float(inter),
        'intra': float(intra),
        'grad_s': grad_s.flatten().tolist(),
        'tol': {'loss_atol': loss_atol, 'grad_atol': grad_atol},
    }
    return case, float32_errors(dist, s, t, case), one_pass_rejected(s, t, case)


def float32_errors(dist, s, t, case):
    """How far two float32 implementations land from the float64 values: the same class under
    autograd, and SPEC.md's closed form. Largest (loss error, gradient error) of the two."""
    s32, t32 = s.to(torch.float32), t.to(torch.float32)
    autograd = loss_and_gradients(dist, s32, t32)[:2]
    formula = closed_form(s32, t32, case['beta'], case['gamma'], case['tau'], case['eps'], case['eps_mode'])
    errors = []
    for loss32, grad32 in (autograd, formula):
        if not math.isfinite(float(loss32)) or not bool(torch.isfinite(grad32).all()):
            # PyTorch's sqrt'(0) in official mode where float32 underflow leaves a column all zeros.
            continue
        errors.append((abs(float(loss32) - case['loss']),
                       float((grad32.to(torch.float64).flatten() - torch.tensor(case['grad_s'])).abs().max())))
    if not errors:
        return math.nan, math.nan
    return max(e[0] for e in errors), max(e[1] for e in errors)


def one_pass_rejected(s, t, case):
    """Whether the tolerances reject the known-bad one-pass-variance float32 implementation."""
    loss32, grad32 = closed_form(s.to(torch.float32), t.to(torch.float32), case['beta'], case['gamma'],
                                 case['tau'], case['eps'], case['eps_mode'], one_pass=True)
    loss_error = abs(float(loss32) - case['loss'])
    grad_error = float((grad32.to(torch.float64).flatten() - torch.tensor(case['grad_s'])).abs().max())
    # Written so that NaN counts as rejected.
    return not (loss_error <= case['tol']['loss_atol'] and grad_error <= case['tol']['grad_atol'])


def build_extension_case(spec):
    """A case with SPEC "Extensions" fields: golden values by autograd through mask and layout, the
    tolerance of its kept rows, and the float32 run of the same code against it."""
    dist = make_dist(spec['beta'], spec['gamma'], spec['tau'], spec['eps'], spec['eps_mode'])
    activation, tau_squared = spec['activation'], spec['tau_squared']
    loss, inter, intra, grad_s = extensions.golden_values(dist, spec)
    if not bool(torch.isfinite(grad_s).all()) or not math.isfinite(float(loss)):
        raise ValueError(f"case {spec['name']}: PyTorch gives a non-finite loss or gradient")
    rows_s, rows_t, keep = extensions.rows_and_mask(spec)
    B, C = keep.shape[0], rows_s.shape[1]

    def evaluate(a, b):
        x = a.detach().clone().requires_grad_(True)
        value = extensions.loss(dist, x, b, activation, tau_squared)
        value.backward()
        return value.detach(), x.grad.detach()

    if rows_s.shape[0] == 0:
        loss_atol, grad_atol = 0.0, 0.0
    else:
        loss_atol, grad_atol = tolerance(evaluate, rows_s, rows_t, spec['beta'], spec['gamma'], spec['tau'],
                                         spec['eps'], spec['eps_mode'], activation=activation,
                                         tau_squared=tau_squared)
    case = {
        'name': spec['name'], 'B': B, 'C': C,
        'beta': spec['beta'], 'gamma': spec['gamma'], 'tau': spec['tau'], 'eps': spec['eps'],
        'eps_mode': spec['eps_mode'],
    }
    if activation != 'softmax':
        case['activation'] = activation
    if not tau_squared:
        case['tau_squared'] = False
    if spec['layout'] != 'rows':
        case['layout'] = spec['layout']
        case['shape'] = list(spec['dims'])
    if spec['mask'] is not None:
        case['mask'] = [int(v) for v in spec['mask'].tolist()]
    case.update({
        'logits_s': spec['logits_s'].flatten().tolist(),
        'logits_t': spec['logits_t'].flatten().tolist(),
        'loss': float(loss), 'inter': inter, 'intra': intra,
        'grad_s': grad_s.flatten().tolist(),
        'tol': {'loss_atol': loss_atol, 'grad_atol': grad_atol},
    })
    loss32, _, _, grad32 = extensions.golden_values(dist, spec, torch.float32)
    errors = (abs(float(loss32) - case['loss']),
              float((grad32.to(torch.float64).flatten() - grad_s.flatten()).abs().max()))
    return case, errors


def read_inputs(path):
    with open(path) as f:
        document = json.load(f)
    specs = []
    for raw in document['cases']:
        B, C = raw['B'], raw['C']
        specs.append({
            'name': raw['name'],
            'beta': float(raw.get('beta', 2.0)),
            'gamma': float(raw.get('gamma', 2.0)),
            'tau': float(raw.get('tau', 6.0)),
            'eps': float(raw.get('eps', 1e-8)),
            'eps_mode': raw.get('eps_mode', 'design-note'),
            'logits_s': float32_exact(torch.tensor(raw['logits_s'], dtype=torch.float64).reshape(B, C)),
            'logits_t': float32_exact(torch.tensor(raw['logits_t'], dtype=torch.float64).reshape(B, C)),
        })
    return specs


def write_golden(path, cases, generator):
    # One case per line: diffs stay readable and the file stays a few MB.
    lines = [json.dumps(case, separators=(',', ':')) for case in cases]
    with open(path, 'w') as f:
        f.write('{"format":"dist-golden/1","generator":' + json.dumps(generator) + ',"cases":[\n')
        f.write(',\n'.join(lines))
        f.write('\n]}\n')


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--seed', type=int, default=DEFAULT_SEED, help='seed of the random logits')
    parser.add_argument('--out', default=DEFAULT_OUT, help='folder for design-note.json and official.json')
    parser.add_argument('--inputs', help='a JSON file of your own logits instead of the built-in cases')
    parser.add_argument('--extension-seed', type=int, default=DEFAULT_EXTENSION_SEED,
                        help='seed of the logits of extensions.json (and wide.json)')
    parser.add_argument('--wide', action='store_true', help='write only wide.json (rows of up to 262,144 classes)')
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.wide:
        write_extension_file(args, extensions.WIDE_CASES, 'wide.json')
        return

    specs = read_inputs(args.inputs) if args.inputs else bundled_cases(args.seed, float32_exact)
    by_mode = {}
    worst = []
    one_pass_failures = []
    for spec in specs:
        case, (loss_error, grad_error), rejected = build_case(spec)
        if rejected:
            one_pass_failures.append(case['name'])
        by_mode.setdefault(spec['eps_mode'], []).append(case)
        loss_ratio = loss_error / case['tol']['loss_atol']
        grad_ratio = grad_error / case['tol']['grad_atol']
        if math.isfinite(loss_ratio):
            worst.append((max(loss_ratio, grad_ratio), case['name']))
        print(f"{spec['eps_mode']:12} {case['name']:32} loss {case['loss']:<12.6g} "
              f"loss_atol {case['tol']['loss_atol']:.2e} fp32 err/atol {loss_ratio:.3f}   "
              f"grad_atol {case['tol']['grad_atol']:.2e} fp32 err/atol {grad_ratio:.3f}", file=sys.stderr)

    generator = (f'@dist-kd/conformance scripts/generate_golden.py: PyTorch {torch.__version__} float64, '
                 f"the design note's DIST as written (official: eps outside the square roots); "
                 + (f'inputs {os.path.basename(args.inputs)}' if args.inputs else f'seed {args.seed}'))
    os.makedirs(args.out, exist_ok=True)
    for mode, cases in by_mode.items():
        write_golden(os.path.join(args.out, f'{mode}.json'), cases, generator)
    if not args.inputs:
        write_extension_file(args, extensions.EXTENSION_CASES, 'extensions.json')
    ratio, name = max(worst)
    print(f'largest float32 error / tolerance: {ratio:.3f} ({name})', file=sys.stderr)
    print(f'one-pass-variance float32 (known bad) rejected by {len(one_pass_failures)} of {len(specs)} cases: '
          + ', '.join(one_pass_failures), file=sys.stderr)
    if ratio > 1:
        sys.exit(f'PyTorch float32 exceeds the tolerance on {name}: the model in golden_tolerance.py is wrong')


def write_extension_file(args, templates, file_name):
    """Cases of SPEC "Extensions" into `file_name`; fails when PyTorch float32 exceeds a tolerance."""
    cases = []
    worst = (0.0, '')
    for spec in extensions.extension_specs(templates, args.extension_seed, float32_exact):
        case, (loss_error, grad_error) = build_extension_case(spec)
        cases.append(case)
        tol = case['tol']
        ratio = max(loss_error / tol['loss_atol'] if tol['loss_atol'] else 0.0,
                    grad_error / tol['grad_atol'] if tol['grad_atol'] else 0.0)
        worst = max(worst, (ratio, case['name']))
        print(f"extension    {case['name']:32} loss {case['loss']:<12.6g} loss_atol {tol['loss_atol']:.2e} "
              f"grad_atol {tol['grad_atol']:.2e} fp32 err/atol {ratio:.3f}", file=sys.stderr)
    generator = (f'@dist-kd/conformance scripts/generate_golden.py: PyTorch {torch.__version__} float64, '
                 f"the design note's DIST with SPEC Extensions (golden_extensions.py); seed {args.extension_seed}")
    os.makedirs(args.out, exist_ok=True)
    write_golden(os.path.join(args.out, file_name), cases, generator)
    print(f'{file_name}: largest float32 error / tolerance {worst[0]:.3f} ({worst[1]})', file=sys.stderr)
    if worst[0] > 1:
        sys.exit(f'PyTorch float32 exceeds the tolerance on {worst[1]}: the model in golden_tolerance.py is wrong')


if __name__ == '__main__':
    main()
