/**
 * Properties of the values, within the tolerance model: bounds of the terms, identical inputs, and
 * the loss as the weighted sum of the terms the backend reports.
 */
import { resolveOptions } from '@dist-kd/core';
import type { ConformanceCheck } from '../check.js';
import { expectClose, expectWithin } from '../compare.js';
import { BASE_PROBLEMS, referenceOf, solve, toleranceOf, withLogits, type Problem } from '../problems.js';
import { termTolerance } from '../tolerance.js';

export function valueChecks(): ConformanceCheck[] {
  return [...BASE_PROBLEMS.map(boundsCheck), ...BASE_PROBLEMS.map(identicalInputsCheck), ...BASE_PROBLEMS.map(compositionCheck)];
}

function identical(base: Problem): Problem {
  return withLogits(base, `${base.label}, teacher = student`, base.student, base.student);
}

/** 0 <= inter, intra <= 2, since |corr| <= 1; on random, identical and opposite logits. */
function boundsCheck(base: Problem): ConformanceCheck {
  const variants = [
    base,
    identical(base),
    withLogits(base, `${base.label}, teacher = -student`, base.student, base.student.map((v) => -v)),
  ];
  return {
    name: `property/bounds [${base.label}]`,
    run: async (backend) => {
      for (const problem of variants) {
        const result = await solve(backend, problem);
        const { loss } = toleranceOf(problem, backend.precision);
        for (const term of ['inter', 'intra'] as const) {
          const slack = termTolerance(loss, problem.options, term);
          expectWithin(`${term} (${problem.label})`, result[term], -slack, 2 + slack);
        }
      }
    },
  };
}

/** Identical student and teacher: the loss is near zero (eps keeps corr just below 1). */
function identicalInputsCheck(base: Problem): ConformanceCheck {
  const problem = identical(base);
  return {
    name: `property/identical-inputs [${base.label}]`,
    run: async (backend) => {
      const result = await solve(backend, problem);
      const { loss } = toleranceOf(problem, backend.precision);
      expectWithin('loss with teacher = student', result.loss, -loss, referenceOf(problem).loss + loss);
    },
  };
}

/** loss = beta * tau^2 * inter + gamma * tau^2 * intra, with the terms the backend reports. */
function compositionCheck(base: Problem): ConformanceCheck {
  const problem = { ...base, label: `${base.label}, beta=0.5 gamma=3`, options: resolveOptions({ ...base.options, beta: 0.5, gamma: 3 }) };
  return {
    name: `property/loss-composition [${base.label}]`,
    run: async (backend) => {
      const result = await solve(backend, problem);
      const { beta, gamma, tau } = problem.options;
      const composed = tau * tau * (beta * result.inter + gamma * result.intra);
      expectClose('loss vs beta*tau^2*inter + gamma*tau^2*intra', result.loss, composed, toleranceOf(problem, backend.precision).loss);
    },
  };
}
