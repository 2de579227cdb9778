/**
 * The tfjs baselines: the design note's PyTorch code ported line by line to tfjs ops, its gradient
 * left to `tf.grad`: the port a tfjs user would otherwise write, deliberately not optimised. They
 * are the bench's, not a product: `@dist-kd/backend-tfjs` does not ship them. Each runs on one tfjs
 * platform, started by backend-tfjs's `useTfjsPlatform` (so a platform that cannot run here says why,
 * as the product's variants do), and is a `DistBackend` so that the runner times it like any other.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ReadyPlatform, TfjsPlatform } from '@dist-kd/backend-tfjs';
import {
  BackendLifecycle,
  BackendRuntimeError,
  BackendUnavailableError,
  copyLogits,
  degenerateError,
  DistInputError,
  epsPlacement,
  termWeights,
  validateRequest,
  withRowSelection,
  type Availability,
  type BoundDist,
  type DistBackend,
  type DistBinding,
  type DistInput,
  type DistOptions,
  type DistRequest,
  type DistResult,
  type DistTerms,
} from '@dist-kd/core';

/** The tfjs platforms a naive baseline runs on: those a product path is compared with there. */
export const NAIVE_TFJS_PLATFORMS: readonly TfjsPlatform[] = ['wasm', 'cpu', 'webgpu', 'webgl'];

const PREFIX = 'tfjs-naive-';

/** The baselines' names, as reports and `--backends` spell them (`tfjs-naive-wasm`, ...). */
export const NAIVE_TFJS_BASELINES: readonly string[] = NAIVE_TFJS_PLATFORMS.map((platform) => PREFIX + platform);

export function isNaiveTfjsBaseline(name: string): boolean {
  return NAIVE_TFJS_BASELINES.includes(name);
}

export interface NaiveDistTerms {
  readonly loss: tf.Scalar;
  readonly inter: tf.Scalar;
  readonly intra: tf.Scalar;
}

/** The design note's formula in tfjs ops (softmax only: the note has no other activation). */
export function naiveDist(student: tf.Tensor2D, teacher: tf.Tensor2D, options: DistOptions): NaiveDistTerms {
  const { tau } = options;
  const { eps, epsInside: inside } = epsPlacement(options);
  const pearson = (x: tf.Tensor, y: tf.Tensor) => {
    const xc = tf.sub(x, tf.mean(x, 1, true));
    const yc = tf.sub(y, tf.mean(y, 1, true));
    const num = tf.sum(tf.mul(xc, yc), 1);
    const denom = tf.mul(tf.sqrt(tf.add(tf.sum(tf.square(xc), 1), inside)), tf.sqrt(tf.add(tf.sum(tf.square(yc), 1), inside)));
    return tf.div(num, tf.add(denom, eps));
  };
  const ys = tf.softmax(tf.div(student, tau));
  const yt = tf.softmax(tf.div(teacher, tau));
  const inter = tf.mean(tf.sub(1, pearson(ys, yt))) as tf.Scalar;
  const intra = tf.mean(tf.sub(1, pearson(tf.transpose(ys), tf.transpose(yt)))) as tf.Scalar;
  const weights = termWeights(options);
  const loss = tf.add(tf.mul(weights.inter, inter), tf.mul(weights.intra, intra)) as tf.Scalar;
  return { loss, inter, intra };
}

/** The baseline called `name` (one of NAIVE_TFJS_BASELINES). */
export function createNaiveTfjsBaseline(name: string): DistBackend {
  if (!isNaiveTfjsBaseline(name)) {
    throw new DistInputError('BAD_OPTION', `"${name}" is not a naive tfjs baseline; they are ${NAIVE_TFJS_BASELINES.join(', ')}`);
  }
  const platform = name.slice(PREFIX.length) as TfjsPlatform;
  const lifecycle = new BackendLifecycle(name);

  /** The platform started and made tfjs's active backend (tfjs has one per process). */
  const ready = async (): Promise<ReadyPlatform> => {
    try {
      // Imported when first needed, so that reading the names above loads no tfjs backend.
      const { useTfjsPlatform } = await import('@dist-kd/backend-tfjs');
      return await useTfjsPlatform(platform);
    } catch (error) {
      if (error instanceof BackendUnavailableError) throw new BackendUnavailableError(name, error.reason, error.hint);
      throw error;
    }
  };

  return withRowSelection({
    name,
    precision: 'float32',
    // The design note's softmax formula and nothing else.
    supports: { sigmoid: false },
    async availability(): Promise<Availability> {
      try {
        const started = await ready();
        return {
          available: true,
          device: `${started.device}, naive baseline (tf.grad)`,
          details: { ...started.details, tfjsBackend: started.tfjsBackend, computedBy: 'naive baseline (tf.grad)' },
        };
      } catch (error) {
        const { reason, hint } = error as BackendUnavailableError;
        return { available: false, reason: reason ?? String(error), ...(hint ? { hint } : {}) };
      }
    },
    compute(request: DistRequest): Promise<DistResult> {
      return lifecycle.run(async () => {
        // Values checked, and copied: the caller may reuse its arrays once compute returned.
        const input = copyLogits(validateRequest(request, 'float32'));
        await ready();
        const shape: [number, number] = [input.batch, input.classes];
        const tensors = tf.tidy(() => callTensors(tf.tensor2d(toFloat32(input.student), shape), tf.tensor2d(toFloat32(input.teacher), shape), input.options, input.gradient));
        try {
          const terms = await readTerms(tensors.scalars, input.options);
          return tensors.gradient ? { ...terms, gradient: await readGradient(tensors.gradient, input, name) } : terms;
        } finally {
          tf.dispose([tensors.scalars, ...(tensors.gradient ? [tensors.gradient] : [])]);
        }
      });
    },
    bind(binding: DistBinding): Promise<BoundDist> {
      return lifecycle.run(async () => {
        const input = copyLogits(validateRequest({ ...binding, gradient: false }, 'float32'));
        await ready();
        const shape: [number, number] = [input.batch, input.classes];
        const student = tf.tensor2d(toFloat32(input.student), shape);
        const teacher = tf.tensor2d(toFloat32(input.teacher), shape);
        // Each call's gradient, kept (on the platform) until the next call or release.
        let gradient: tf.Tensor | undefined;
        return lifecycle.bind({
          async compute(withGradient) {
            await ready();
            gradient?.dispose();
            gradient = undefined;
            const tensors = callTensors(student, teacher, input.options, withGradient);
            gradient = tensors.gradient;
            try {
              return await readTerms(tensors.scalars, input.options);
            } finally {
              tensors.scalars.dispose();
            }
          },
          readGradient: () => readGradient(gradient!, input, name),
          release() {
            tf.dispose([student, teacher, ...(gradient ? [gradient] : [])]);
            gradient = undefined;
          },
        });
      });
    },
    dispose: () => lifecycle.dispose(() => undefined),
  });
}

/** One call's tensors: the three scalars stacked, and the gradient by `tf.grad` when asked for. */
function callTensors(student: tf.Tensor2D, teacher: tf.Tensor2D, options: DistOptions, gradient: boolean): { scalars: tf.Tensor; gradient?: tf.Tensor } {
  return tf.tidy(() => {
    if (!gradient) {
      const terms = naiveDist(student, teacher, options);
      return { scalars: tf.stack([terms.loss, terms.inter, terms.intra]) };
    }
    let kept: { inter: tf.Scalar; intra: tf.Scalar } | undefined;
    const { value, grad } = tf.valueAndGrad((s: tf.Tensor2D) => {
      const terms = naiveDist(s, teacher, options);
      // The tape's scope disposes everything but the loss: keep the two terms it reports too.
      kept = { inter: tf.keep(terms.inter), intra: tf.keep(terms.intra) };
      return terms.loss;
    })(student);
    const scalars = tf.stack([value, kept!.inter, kept!.intra]);
    tf.dispose([kept!.inter, kept!.intra]);
    return { scalars, gradient: grad };
  });
}

async function readTerms(scalars: tf.Tensor, options: DistOptions): Promise<DistTerms> {
  // data(), not dataSync(): tfjs-webgpu in Node can only read asynchronously.
  const [loss, inter, intra] = await scalars.data();
  // The values were checked, so a loss that is not finite is eps = 0 meeting a constant vector.
  if (!Number.isFinite(loss)) throw options.eps === 0 ? degenerateError() : new DistInputError('NON_FINITE', 'the naive baseline gave a loss that is not finite for finite logits');
  return { loss: loss!, inter: inter!, intra: intra! };
}

/**
 * The gradient as `DistResult.gradient` promises it. tf.grad differentiates sqrt at 0 (infinite)
 * when a row or column has zero variance and eps is not inside the root, which turns the gradient
 * into NaN; say so rather than return it.
 */
async function readGradient(gradient: tf.Tensor, input: DistInput, name: string): Promise<Float32Array | Float64Array> {
  const values = (await gradient.data()) as Float32Array;
  if (!values.every(Number.isFinite)) {
    throw new BackendRuntimeError(
      name,
      "tf.grad through the naive formula gave a non-finite gradient (sqrt'(0) is infinite for a zero-variance " +
        'row or column when eps is outside the square root); the fused variants use its limit instead',
    );
  }
  return input.student instanceof Float32Array ? values : Float64Array.from(values);
}

function toFloat32(values: Float32Array | Float64Array): Float32Array {
  return values instanceof Float32Array ? values : Float32Array.from(values);
}
