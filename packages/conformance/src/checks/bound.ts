/**
 * `DistBackend.bind` is optional; a backend that offers it must honour it: bound calls give what
 * `compute` gives, the gradient is read back in `compute`'s array type, bad logits are rejected at
 * bind, bindings are independent and keep their own logits, and a disposed binding refuses to compute.
 */
import type { BoundDist, DistBackend, DistBinding } from '@dist-kd/core';
import { awaitLater, expectGradientContract, expectInputErrorFrom, expectUsageError } from '../backend-calls.js';
import { fail, type ConformanceCheck } from '../check.js';
import { expectArrayClose, expectClose } from '../compare.js';
import { termTolerance } from '../tolerance.js';
import { BASE_PROBLEMS, makeProblem, requestFor, solve, sumOf, toleranceOf, type Problem } from '../problems.js';

export function boundChecks(): ConformanceCheck[] {
  return [
    matchesComputeCheck(),
    gradientOnDemandCheck(),
    independentBindingsCheck(),
    ownsItsLogitsCheck(),
    badInputCheck(),
    disposeCheck(),
    callOrderCheck(),
  ];
}

function bindOf(backend: DistBackend): (binding: DistBinding) => Promise<BoundDist> {
  if (typeof backend.bind !== 'function') fail('the backend has no bind(), but the suite was told it offers one');
  return backend.bind.bind(backend);
}

function bindingFor(backend: DistBackend, problem: Problem): DistBinding {
  return requestFor(backend.precision, problem);
}

/** A bound call equals `compute` on the same logits, call after call. */
function matchesComputeCheck(): ConformanceCheck {
  const problem = makeProblem('12x40', [12, 40], 31);
  return {
    name: `bind/matches-compute [${problem.label}]`,
    run: async (backend) => {
      const expected = await solve(backend, problem);
      const bound = await bindOf(backend)(bindingFor(backend, problem));
      try {
        // Both sides are this backend's own results: each may be off by its tolerance.
        const tolerance = sumOf(toleranceOf(problem, backend.precision), toleranceOf(problem, backend.precision));
        for (const call of [1, 2, 3]) {
          const terms = await bound.compute(true);
          expectClose(`bound call ${call}: loss`, terms.loss, expected.loss, tolerance.loss);
          for (const term of ['inter', 'intra'] as const) {
            expectClose(`bound call ${call}: ${term}`, terms[term], expected[term], termTolerance(tolerance.loss, problem.options, term));
          }
          const gradient = await bound.readGradient();
          expectGradientContract(gradient, bindingFor(backend, problem));
          expectArrayClose(`bound call ${call}: gradient`, gradient, expected.gradient, tolerance.gradient, problem.shape[1]);
        }
      } finally {
        await bound.dispose();
      }
    },
  };
}

/** compute(false) gives the loss alone; readGradient then has nothing to read and rejects. */
function gradientOnDemandCheck(): ConformanceCheck {
  const problem = BASE_PROBLEMS[1];
  return {
    name: `bind/gradient-on-demand [${problem.label}]`,
    run: async (backend) => {
      const expected = await solve(backend, problem);
      const bound = await bindOf(backend)(bindingFor(backend, problem));
      try {
        const lossOnly = await bound.compute(false);
        expectClose('loss of compute(false)', lossOnly.loss, expected.loss, 2 * toleranceOf(problem, backend.precision).loss);
        await expectUsageError('readGradient after compute(false)', () => bound.readGradient(), 'GRADIENT_NOT_READY');
      } finally {
        await bound.dispose();
      }
    },
  };
}

/** Two bindings on one backend keep their own logits, whatever the order of calls. */
function independentBindingsCheck(): ConformanceCheck {
  const first = makeProblem('6x20 a', [6, 20], 41);
  const second = makeProblem('6x20 b', [6, 20], 42, { tau: 3 });
  return {
    name: 'bind/independent-bindings [6x20]',
    run: async (backend) => {
      const bind = bindOf(backend);
      const [a, b] = [await bind(bindingFor(backend, first)), await bind(bindingFor(backend, second))];
      try {
        for (const [bound, problem] of [
          [a, first],
          [b, second],
          [a, first],
        ] as const) {
          const expected = await solve(backend, problem);
          const terms = await bound.compute(true);
          const tolerance = sumOf(toleranceOf(problem, backend.precision), toleranceOf(problem, backend.precision));
          expectClose(`loss of the binding of ${problem.label}`, terms.loss, expected.loss, tolerance.loss);
          expectArrayClose(`gradient of the binding of ${problem.label}`, await bound.readGradient(), expected.gradient, tolerance.gradient, problem.shape[1]);
        }
      } finally {
        await a.dispose();
        await b.dispose();
      }
    },
  };
}

/**
 * The binding keeps the logits it validated: writing into the caller's arrays afterwards (the next
 * batch, say) changes nothing, and cannot slip an unchecked NaN in.
 */
function ownsItsLogitsCheck(): ConformanceCheck {
  const problem = BASE_PROBLEMS[0];
  return {
    name: 'bind/owns-its-logits',
    run: async (backend) => {
      const expected = await solve(backend, problem);
      const binding = bindingFor(backend, problem);
      const bound = await bindOf(backend)(binding);
      try {
        (binding.student as Float32Array | Float64Array).fill(Number.NaN);
        (binding.teacher as Float32Array | Float64Array).fill(0);
        const terms = await bound.compute(true);
        const tolerance = sumOf(toleranceOf(problem, backend.precision), toleranceOf(problem, backend.precision));
        expectClose('loss after the caller overwrote its arrays', terms.loss, expected.loss, tolerance.loss);
      } finally {
        await bound.dispose();
      }
    },
  };
}

/** Bad logits are rejected at bind, with the codes `compute` uses. */
function badInputCheck(): ConformanceCheck {
  const problem = BASE_PROBLEMS[0];
  return {
    name: 'bind/bad-input',
    run: async (backend) => {
      const bind = bindOf(backend);
      const good = bindingFor(backend, problem);
      const withNaN = Float64Array.from(problem.student);
      withNaN[3] = Number.NaN;
      await expectInputErrorFrom('bind', () => bind({ ...good, student: withNaN }), 'NON_FINITE');
      await expectInputErrorFrom('bind', () => bind({ ...good, shape: [problem.shape[0], problem.shape[1] + 1] }), 'BAD_SHAPE');
    },
  };
}

/**
 * A disposed binding rejects with BINDING_DISPOSED instead of computing on released memory, a
 * gradient that was never computed with GRADIENT_NOT_READY; a second dispose resolves.
 */
function disposeCheck(): ConformanceCheck {
  const problem = BASE_PROBLEMS[0];
  return {
    name: 'bind/dispose',
    run: async (backend) => {
      const bound = await bindOf(backend)(bindingFor(backend, problem));
      await expectUsageError('readGradient before any compute', () => bound.readGradient(), 'GRADIENT_NOT_READY');
      await bound.compute(true);
      await bound.dispose();
      await expectUsageError('compute after dispose()', () => bound.compute(true), 'BINDING_DISPOSED');
      await expectUsageError('readGradient after dispose()', () => bound.readGradient(), 'BINDING_DISPOSED');
      await bound.dispose();
      // The backend itself is not disposed with one of its bindings.
      await solve(backend, problem);
    },
  };
}

/**
 * Calls on one binding that overlap take effect in the order they were made: a readGradient made
 * right after compute(true) reads that call's gradient, one made after compute(false) has none.
 */
function callOrderCheck(): ConformanceCheck {
  const problem = BASE_PROBLEMS[2];
  return {
    name: 'bind/overlapping-calls-in-call-order',
    run: async (backend) => {
      const expected = await solve(backend, problem);
      const bound = await bindOf(backend)(bindingFor(backend, problem));
      try {
        const withGradient = awaitLater(bound.compute(true));
        const gradient = awaitLater(bound.readGradient());
        const lossOnly = awaitLater(bound.compute(false));
        const tooEarly = awaitLater(expectUsageError('readGradient made right after compute(false)', () => bound.readGradient(), 'GRADIENT_NOT_READY'));
        const tolerance = sumOf(toleranceOf(problem, backend.precision), toleranceOf(problem, backend.precision));
        expectClose('loss of compute(true)', (await withGradient).loss, expected.loss, tolerance.loss);
        expectArrayClose('gradient read right after compute(true)', await gradient, expected.gradient, tolerance.gradient, problem.shape[1]);
        expectClose('loss of compute(false)', (await lossOnly).loss, expected.loss, tolerance.loss);
        await tooEarly;
      } finally {
        await bound.dispose();
      }
    },
  };
}
