/**
 * The native ceiling: `native/dist_ceiling.c`, the design note's DIST fused into three passes in C
 * (float32 storage, float64 sums, `-O3 -march=native -ffast-math`, OpenMP), compiled here with the
 * machine's C compiler on first use and timed through JSON lines like the PyTorch baseline. Not a
 * product and not a baseline to beat: it says how close a backend comes to what this machine can do.
 * Node only.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { epsPlacement, type DistOptions } from '@dist-kd/core';
import type { BenchInputs } from './inputs.js';
import { startLineWorker, type LineWorker } from './line-worker.js';
import { unavailableSubject, type BenchSubject } from './subject.js';

export const NATIVE_CEILING = 'native-ceiling';
const SOURCE = fileURLToPath(new URL('../native/dist_ceiling.c', import.meta.url));
const FLAGS = ['-O3', '-march=native', '-ffast-math', '-fopenmp'];
const HINT = 'install a C compiler with OpenMP (Debian: apt-get install gcc), or name one with CC';

/** Compiles the ceiling once per source and flags; returns the binary, or why it could not. */
function compile(compiler: string): { binary: string } | { reason: string } {
  if (!existsSync(SOURCE)) return { reason: `${SOURCE} is missing` };
  const source = readFileSync(SOURCE);
  const key = createHash('sha256').update(source).update(compiler).update(FLAGS.join(' ')).digest('hex').slice(0, 16);
  const folder = path.join(tmpdir(), 'dist-kd-bench');
  const binary = path.join(folder, `dist-ceiling-${key}`);
  if (existsSync(binary)) return { binary };
  mkdirSync(folder, { recursive: true });
  const partial = `${binary}.${process.pid}.tmp`;
  const built = spawnSync(compiler, [...FLAGS, '-o', partial, SOURCE, '-lm'], { encoding: 'utf8' });
  if (built.error) return { reason: `${compiler}: ${built.error.message}` };
  if (built.status !== 0) return { reason: `${compiler} failed: ${built.stderr.trim().slice(0, 500)}` };
  renameSync(partial, binary);
  return { binary };
}

export async function createNativeSubject(options: DistOptions, threads = availableParallelism()): Promise<BenchSubject> {
  const compiled = compile(process.env.CC ?? 'gcc');
  if ('reason' in compiled) return unavailableSubject(NATIVE_CEILING, compiled.reason, HINT);
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), OMP_PROC_BIND: 'false' };
  const started = await startLineWorker(compiled.binary, [], { env, timeoutMs: 10_000, label: NATIVE_CEILING });
  if ('reason' in started) return unavailableSubject(NATIVE_CEILING, started.reason, HINT);
  return nativeSubject(started.worker, options);
}

function nativeSubject(worker: LineWorker, options: DistOptions): BenchSubject {
  const inputsFile = path.join(tmpdir(), `dist-kd-bench-inputs-${process.pid}.bin`);
  return {
    name: NATIVE_CEILING,
    role: 'ceiling',
    precision: 'float32',
    availability: async () => ({
      available: true,
      device: `C, ${FLAGS.join(' ')}, ${String(worker.hello.threads)} OpenMP threads (the design note's arithmetic in three passes)`,
      details: { threads: String(worker.hello.threads), flags: FLAGS.join(' ') },
    }),
    load: async (inputs: BenchInputs) => {
      const { student, teacher, size } = inputs;
      writeFileSync(inputsFile, Buffer.concat([bytes(student), bytes(teacher)]));
      const { beta, gamma, tau } = options;
      const { eps, epsInside } = epsPlacement(options);
      await worker.request({ cmd: 'load', batch: size.batch, classes: size.classes, beta, gamma, tau, eps, eps_inside: epsInside, path: inputsFile });
    },
    run: async (op) => {
      const answer = await worker.request({ cmd: 'run', op });
      return { loss: Number(answer.loss), measuredMs: Number(answer.ms) };
    },
    dispose: async () => {
      worker.close();
      rmSync(inputsFile, { force: true });
    },
  };
}

function bytes(values: Float32Array): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}
