/**
 * What the runner times: a DIST backend loaded by name through core's `loadBackend`, the bench's own
 * naive tfjs baselines (naive-tfjs.ts), or an external baseline (PyTorch in a child process) behind
 * the same small interface.
 */
import { loadBackend, type Availability, type BoundDist, type DistBackend, type DistOptions, type LoadOptions } from '@dist-kd/core';
import { isBaseline } from './baselines.js';
import type { BenchInputs } from './inputs.js';
import { createNaiveTfjsBaseline, isNaiveTfjsBaseline } from './naive-tfjs.js';
import type { MemoryUse } from './report.js';
import type { Op } from './sizes.js';
import { tfjsMemory } from './tfjs-memory.js';

export interface RunOutcome {
  readonly loss: number;
  /** Set by a subject that times itself (a child process), so IPC is not counted. */
  readonly measuredMs?: number;
}

export interface BenchSubject {
  readonly name: string;
  readonly role: 'backend' | 'baseline' | 'ceiling';
  readonly precision?: string;
  /** Never throws. */
  availability(): Promise<Availability>;
  /** Takes the inputs of the next size; called before any run at that size. */
  load(inputs: BenchInputs): Promise<void>;
  /** One call of the loss (and gradient, for forward+backward) on the loaded inputs. */
  run(op: Op): Promise<RunOutcome>;
  /** What the subject's own runtime tells of its memory now (tfjs: tensors, GPU memory); undefined: nothing. */
  memory?(): MemoryUse | undefined;
  dispose(): Promise<void>;
}

export function roleOf(name: string): BenchSubject['role'] {
  return isBaseline(name) ? 'baseline' : 'backend';
}

/**
 * Loads a backend by name (a naive tfjs baseline is the bench's own, the rest come through core's
 * `loadBackend`); a backend that cannot even load becomes an unavailable subject with the reason.
 * With `resident`, calls run on bound logits (`DistBackend.bind`).
 */
export async function loadSubject(
  name: string,
  options: DistOptions,
  loadOptions?: LoadOptions,
  resident = false,
): Promise<BenchSubject> {
  try {
    const backend = isNaiveTfjsBaseline(name) ? createNaiveTfjsBaseline(name) : await loadBackend(name, loadOptions);
    return resident ? residentSubject(name, backend, options) : backendSubject(name, backend, options);
  } catch (error) {
    const { reason, hint } = error as { reason?: string; hint?: string; message?: string };
    return unavailableSubject(name, reason ?? String((error as Error)?.message ?? error), hint);
  }
}

/**
 * The availability of a backend, and a reader of its memory once it said it runs on tfjs
 * (`details.tfjsBackend`, as the tfjs backends and the naive baselines report).
 */
function memoryWatch(backend: DistBackend): Pick<BenchSubject, 'availability' | 'memory'> {
  let tfjsBackend: string | undefined;
  return {
    availability: async () => {
      const availability = await backend.availability();
      const named = availability.available ? availability.details?.tfjsBackend : undefined;
      tfjsBackend = typeof named === 'string' ? named : undefined;
      return availability;
    },
    memory: () => (tfjsBackend === undefined ? undefined : tfjsMemory(tfjsBackend)),
  };
}

export function backendSubject(name: string, backend: DistBackend, options: DistOptions): BenchSubject {
  let inputs: BenchInputs | undefined;
  return {
    name,
    role: roleOf(name),
    precision: backend.precision,
    ...memoryWatch(backend),
    load: async (next) => {
      inputs = next;
    },
    run: async (op) => {
      if (!inputs) throw new Error(`${name}: run before load`);
      const { student, teacher, size } = inputs;
      const result = await backend.compute({
        student,
        teacher,
        shape: [size.batch, size.classes],
        options,
        gradient: op === 'forward+backward',
      });
      return { loss: result.loss };
    },
    dispose: () => backend.dispose(),
  };
}

/** Calls on logits bound once per size; the gradient stays where the backend computed it. */
export function residentSubject(name: string, backend: DistBackend, options: DistOptions): BenchSubject {
  if (!backend.bind) {
    return unavailableSubject(name, 'no resident mode: the backend has no bind()', 'run the bench without --resident');
  }
  const bind = backend.bind.bind(backend);
  let bound: BoundDist | undefined;
  return {
    name,
    role: roleOf(name),
    precision: backend.precision,
    ...memoryWatch(backend),
    load: async ({ student, teacher, size }) => {
      await bound?.dispose();
      bound = undefined;
      bound = await bind({ student, teacher, shape: [size.batch, size.classes], options });
    },
    run: async (op) => {
      if (!bound) throw new Error(`${name}: run before load`);
      return { loss: (await bound.compute(op === 'forward+backward')).loss };
    },
    dispose: async () => {
      await bound?.dispose();
      await backend.dispose();
    },
  };
}

export function unavailableSubject(name: string, reason: string, hint?: string): BenchSubject {
  const fail = async (): Promise<never> => {
    throw new Error(`${name} is unavailable: ${reason}`);
  };
  return {
    name,
    role: roleOf(name),
    availability: async () => ({ available: false, reason, ...(hint ? { hint } : {}) }),
    load: fail,
    run: fail,
    dispose: async () => {},
  };
}

/** Disposes every subject even when some fail to, and names those that did (the results stand either way). */
export async function disposeAll(subjects: readonly BenchSubject[]): Promise<string[]> {
  const outcomes = await Promise.allSettled(subjects.map((s) => s.dispose()));
  return outcomes.flatMap((outcome, k) =>
    outcome.status === 'rejected' ? [`${subjects[k]!.name}: dispose failed: ${(outcome.reason as Error)?.message ?? outcome.reason}`] : [],
  );
}
