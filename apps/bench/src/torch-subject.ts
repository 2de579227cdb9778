/**
 * The PyTorch baseline: `python/torch_dist.py` runs the design note's DIST class (kept by
 * @dist-kd/conformance) in a child process and times each call itself, so the JSON round trip is
 * not counted. Node only.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DistOptions } from '@dist-kd/core';
import type { BenchInputs } from './inputs.js';
import { startLineWorker, type LineWorker } from './line-worker.js';
import { findPackage } from './package-root.js';
import type { Op } from './sizes.js';
import { unavailableSubject, type BenchSubject } from './subject.js';

const SCRIPT = fileURLToPath(new URL('../python/torch_dist.py', import.meta.url));
const CONFORMANCE = '@dist-kd/conformance';
/** Importing torch can take several seconds on a cold disk. */
const START_TIMEOUT_MS = 60_000;

export const TORCH_HINT = 'install PyTorch for python3 (Debian: apt-get install python3-torch) or name a python with --python';

/** Pythons to try, in order: the one asked for, else python3 on PATH, then Debian's (where python3-torch lives). */
export function pythonCandidates(requested?: string): string[] {
  if (requested) return [requested];
  return ['python3', '/usr/bin/python3'].filter((p, k) => k === 0 || existsSync(p));
}

/** The folder of the design note's DIST class (`dist_design_note.py`), which the conformance package keeps. */
function designNoteFolder(): string | undefined {
  const conformance = findPackage(createRequire(import.meta.url), CONFORMANCE);
  const folder = conformance && path.join(conformance.root, 'scripts');
  return folder && existsSync(path.join(folder, 'dist_design_note.py')) ? folder : undefined;
}

export async function createTorchSubject(options: DistOptions, pythons: readonly string[]): Promise<BenchSubject> {
  const folder = designNoteFolder();
  if (!folder) {
    return unavailableSubject('pytorch', `${CONFORMANCE}'s scripts/dist_design_note.py (the design note's DIST class) was not found`, `install ${CONFORMANCE}`);
  }
  const reasons: string[] = [];
  for (const python of pythons) {
    const started = await startLineWorker(python, [SCRIPT, folder], { timeoutMs: START_TIMEOUT_MS, label: 'pytorch' });
    if ('worker' in started) return torchSubject(started.worker, options);
    reasons.push(`${python}: ${started.reason}`);
  }
  return unavailableSubject('pytorch', `no python could import torch (${reasons.join('; ')})`, TORCH_HINT);
}

function torchSubject(worker: LineWorker, options: DistOptions): BenchSubject {
  const { hello } = worker;
  return {
    name: 'pytorch',
    role: 'baseline',
    precision: 'float32',
    availability: async () => ({
      available: true,
      device: `PyTorch ${String(hello.torch)} on the CPU, ${String(hello.threads)} threads (design note's DIST class, fp32)`,
      details: {
        python: `${worker.command} ${String(hello.python)}`,
        torch: String(hello.torch),
        threads: String(hello.threads),
      },
    }),
    load: async (inputs: BenchInputs) => {
      await worker.request({
        cmd: 'load',
        batch: inputs.size.batch,
        classes: inputs.size.classes,
        student: base64(inputs.student),
        teacher: base64(inputs.teacher),
        beta: options.beta,
        gamma: options.gamma,
        tau: options.tau,
        eps: options.eps,
      });
    },
    run: async (op: Op) => {
      const answer = await worker.request({ cmd: 'run', op });
      return { loss: Number(answer.loss), measuredMs: Number(answer.ms) };
    },
    dispose: async () => worker.close(),
  };
}

function base64(values: Float32Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}
