/**
 * Input checks for the tensor API, with the same `DistInputError` codes as core's `validateRequest`.
 * Shapes and dtypes are free to check. Finiteness needs the data: rather than download the logits
 * every step, `finiteProbe` folds the check into one scalar that is read with the loss, and only
 * when that scalar is not finite are the logits downloaded to say exactly what was wrong.
 */
import * as tf from '@tensorflow/tfjs';
import { BackendRuntimeError, degenerateError, DistInputError, validateRequest, type DistOptions } from '@dist-kd/core';

export function checkLogitTensors(teacher: unknown, student: unknown): asserts teacher is tf.Tensor {
  checkTensor('teacherLogits', teacher);
  checkTensor('studentLogits', student);
  const [s, t] = [(student as tf.Tensor).shape, (teacher as tf.Tensor).shape];
  if (s.length !== t.length || s.some((n, k) => n !== t[k])) {
    throw new DistInputError(
      'SHAPE_MISMATCH',
      `studentLogits is [${s.join(', ')}] but teacherLogits is [${t.join(', ')}]; both must be [B, C] (or [N, H, W, C]) with the same shape`,
    );
  }
  if (s.some((n) => n === 0)) {
    throw new DistInputError('EMPTY', `the logits are empty ([${s.join(', ')}]); DIST needs at least one sample and one class`);
  }
}

function checkTensor(which: string, value: unknown): void {
  if (!(value instanceof tf.Tensor)) {
    throw new DistInputError('BAD_INPUT_TYPE', `${which} must be a tf.Tensor2D, got ${describeValue(value)}`);
  }
  if (value.rank !== 2 && value.rank !== 4) {
    throw new DistInputError(
      'BAD_SHAPE',
      `${which} must be [B, C] (rank 2) or dense [N, H, W, C] (rank 4, TensorFlow's layout), got shape [${value.shape.join(', ')}]`,
    );
  }
  if (value.dtype !== 'float32') {
    throw new DistInputError('BAD_INPUT_TYPE', `${which} must be float32, got ${value.dtype}; cast it with tf.cast(x, 'float32')`);
  }
}

/**
 * A scalar that is finite exactly when the loss is finite and no logit is ±Infinity or NaN:
 * NaN and +Infinity already make the loss NaN (through the row max and the softmax), and a -Infinity
 * logit is the one bad value the loss absorbs, so the probe adds 0 * min(logits), which is NaN then.
 */
export function finiteProbe(loss: tf.Tensor, teacher: tf.Tensor2D, student: tf.Tensor2D): tf.Tensor {
  return tf.addN([loss, tf.mul(tf.min(student), 0), tf.mul(tf.min(teacher), 0)]);
}

/**
 * The probe's value, read synchronously for `validate: 'sync'`; `caller` names the function in the
 * error of a backend that cannot read synchronously (tfjs-webgpu in Node).
 */
export function readProbeSync(probe: tf.Tensor, caller: string): number {
  try {
    return probe.dataSync()[0];
  } catch (error) {
    throw new BackendRuntimeError(
      `tfjs-${tf.getBackend()}`,
      `${caller} could not read its finiteness check synchronously (${(error as Error).message}); ` +
        "use validate: true, which checks when the loss is read, instead of 'sync'",
      { cause: error },
    );
  }
}

/**
 * Called when a probe or a loss was not finite: downloads the logits and throws the error that
 * describes them (`NON_FINITE` with the position), or `DEGENERATE` when the logits are fine and
 * eps = 0 met a zero-variance row or column.
 */
export function explainNonFinite(teacher: tf.Tensor2D, student: tf.Tensor2D, options: DistOptions): never {
  validateRequest(
    { student: student.dataSync() as Float32Array, teacher: teacher.dataSync() as Float32Array, shape: student.shape, options },
    'float32',
  );
  throw degenerate(options);
}

/**
 * Makes `loss`'s reads (`data`, `dataSync`, and so `array`, `arraySync`, which call them) throw the
 * typed error when the value is not finite, instead of returning the NaN: the check of GPU
 * backends, where the op itself reads nothing. The logits explain the error when they are still
 * alive at the read; after they were disposed (a training step's tidy) the error says what can.
 */
export function explainedOnRead<T extends tf.Tensor>(loss: T, teacher: tf.Tensor2D, student: tf.Tensor2D, options: DistOptions): T {
  const prototype = Object.getPrototypeOf(loss) as tf.Tensor;
  const alive = () => !teacher.isDisposed && !student.isDisposed;
  const reads = {
    async data() {
      const values = await prototype.data.call(loss);
      if (!Number.isFinite(values[0] as number)) {
        if (!alive()) throw withoutLogits(options);
        const [s, t] = await Promise.all([student.data(), teacher.data()]);
        throw explainValues(s as Float32Array, t as Float32Array, student.shape, options);
      }
      return values;
    },
    dataSync() {
      const values = prototype.dataSync.call(loss);
      if (!Number.isFinite(values[0] as number)) {
        if (!alive()) throw withoutLogits(options);
        throw explainValues(student.dataSync() as Float32Array, teacher.dataSync() as Float32Array, student.shape, options);
      }
      return values;
    },
  };
  return Object.assign(loss, reads);
}

/**
 * Checks of losses that nobody reads one by one: tfjs-layers' `fit` reads only an epoch's mean, so
 * the on-read check of each batch's loss never runs there. Each watched loss is read asynchronously
 * (no wait inside the step), with the logits kept until the read resolves (clones share the data,
 * nothing is copied), and a loss that is not finite leaves the typed error that explains it, for
 * the next call (`throwIfFound`) or `settle`.
 */
export class DeferredLossChecks {
  private readonly pending = new Set<Promise<void>>();
  private found: unknown;

  watch(loss: tf.Tensor, teacher: tf.Tensor, student: tf.Tensor, options: DistOptions): void {
    const kept = [loss, teacher, student].map((tensor) => tf.keep(tf.clone(tensor)));
    const check = this.check(kept, student.shape, options).finally(() => {
      tf.dispose(kept);
      this.pending.delete(check);
    });
    this.pending.add(check);
  }

  /** Reads the kept loss and, when it is not finite, the kept logits that explain it; never rejects. */
  private async check([loss, teacher, student]: tf.Tensor[], shape: readonly number[], options: DistOptions): Promise<void> {
    try {
      const [value] = await loss.data();
      if (Number.isFinite(value) || this.found !== undefined) return;
      const [s, t] = await Promise.all([student.data(), teacher.data()]);
      this.found = explanationOf(s as Float32Array, t as Float32Array, shape, options);
    } catch (error) {
      this.found ??= error;
    }
  }

  /** Throws (once) the error a finished check found. */
  throwIfFound(): void {
    const error = this.found;
    if (error === undefined) return;
    this.found = undefined;
    throw error;
  }

  /** Waits for every check still reading, then throws (once) what they found. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
    this.throwIfFound();
  }
}

function explanationOf(student: Float32Array, teacher: Float32Array, shape: readonly number[], options: DistOptions): unknown {
  try {
    return explainValues(student, teacher, shape, options);
  } catch (error) {
    return error;
  }
}

/** The error for logits read back: `NON_FINITE` at the bad position (thrown), else `degenerate`. */
function explainValues(student: Float32Array, teacher: Float32Array, shape: readonly number[], options: DistOptions): DistInputError {
  // Rows of the last axis's classes: 2-D logits, or dense [N, H, W, C] ones read as rows.
  const classes = shape[shape.length - 1];
  validateRequest({ student, teacher, shape: [student.length / classes, classes], options }, 'float32');
  return degenerate(options);
}

function withoutLogits(options: DistOptions): DistInputError {
  const unknown =
    'the logits were disposed before the loss was read, so which row is unknown: read the loss while they live, ' +
    "or pass validate: 'sync' to check inside the op";
  if (options.eps === 0) {
    return new DistInputError('DEGENERATE', `the DIST loss is NaN: eps = 0 met a zero-variance row or column, or a logit was NaN or ±Infinity (${unknown})`);
  }
  return new DistInputError('NON_FINITE', `the DIST loss is NaN: a logit was NaN or ±Infinity (${unknown})`);
}

export function degenerate(options: DistOptions): DistInputError {
  if (options.eps === 0) return degenerateError();
  return new DistInputError(
    'NON_FINITE',
    'the loss is not finite although the logits are; report this with the logits that caused it',
  );
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length} (wrap it with tf.tensor2d)`;
  return typeof value === 'object' ? `a ${(value as object).constructor?.name ?? 'object'}` : typeof value;
}
