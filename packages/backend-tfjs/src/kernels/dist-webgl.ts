/**
 * The `DistKdDist` kernel on tfjs-backend-webgl: the GLSL programs of `webgl/dist-programs.ts` run
 * through the backend's own program API (`runWebGLProgram`), on the textures the logits already
 * have: row max, row sums (both sides in one program), row correlation sums, column sums (both sides,
 * per block of rows, then added up), column correlation sums (likewise), the correlations' derivative
 * coefficients, the softmax backward's row projection (not the sigmoid's, which has none), the
 * gradient, then the three scalars. Needs WebGL 2 (`floatBitsToUint`, integer loops); on WebGL 1
 * the fused ops run.
 */
import * as tf from '@tensorflow/tfjs';
import { epsPlacement, logitLimit, termWeights } from '@dist-kd/core';
import {
  blockSumProgram,
  columnCoefficientsProgram,
  columnCorrelationProgram,
  columnSumsProgram,
  gradientProgram,
  lossTermProgram,
  rowBlockReduceProgram,
  rowCorrelationProgram,
  rowMaxProgram,
  rowParameters,
  rowProjectionProgram,
  rowSumsProgram,
  rowTermsProgram,
  type DistWebGLProgram,
} from '../webgl/dist-programs.js';
import { DIST_KERNEL_NAME, type DistKernelAttrs } from './dist-kernel.js';
import type { DistKernelConfig } from './register-all.js';

/** The parts of tfjs-backend-webgl's MathBackendWebGL (4.22) this kernel calls. */
interface WebGLBackend {
  runWebGLProgram(
    program: DistWebGLProgram,
    inputs: tf.TensorInfo[],
    outputDtype: 'float32',
    customUniformValues?: number[][],
    preventEagerUnpackingOfOutput?: boolean,
  ): tf.TensorInfo;
  packTensor(input: tf.TensorInfo): tf.TensorInfo;
  disposeIntermediateTensorInfo(info: tf.TensorInfo): void;
  texData: { get(dataId: object): { texture?: unknown; isPacked?: boolean } };
}

export const webglDistKernel: DistKernelConfig = {
  kernelName: DIST_KERNEL_NAME,
  backendName: 'webgl',
  description: 'DIST WebGL kernel (GLSL)',
  activations: ['softmax', 'sigmoid'],
  unavailableReason: () => (tf.env().getNumber('WEBGL_VERSION') >= 2 ? undefined : 'the DIST WebGL kernel needs WebGL 2'),
  kernelFunc: ({ inputs, backend, attrs }) =>
    runDistPrograms(backend as unknown as WebGLBackend, inputs as { student: tf.TensorInfo; teacher: tf.TensorInfo }, attrs as unknown as DistKernelAttrs),
};

function runDistPrograms(backend: WebGLBackend, inputs: { student: tf.TensorInfo; teacher: tf.TensorInfo }, options: DistKernelAttrs): tf.TensorInfo[] {
  const [batch, classes] = inputs.student.shape;
  const intermediates: tf.TensorInfo[] = [];
  // Intermediates stay packed: every program reads packed textures.
  const run = (program: DistWebGLProgram, programInputs: tf.TensorInfo[], uniforms: number[][] = []) => {
    const output = backend.runWebGLProgram(program, programInputs, 'float32', uniforms, true);
    intermediates.push(output);
    return output;
  };
  // Logits already on the GPU unpacked are packed once here, not again by each program.
  const packed = (tensor: tf.TensorInfo) => {
    const data = backend.texData.get(tensor.dataId);
    if (data.texture == null || data.isPacked) return tensor;
    const output = backend.packTensor(tensor);
    intermediates.push(output);
    return output;
  };
  try {
    const student = packed(inputs.student);
    const teacher = packed(inputs.teacher);
    const { tau, activation } = options;
    const softmax = [[1 / tau]];
    const { eps, epsInside } = epsPlacement(options);
    // The loss's weights (tau^2 unless tauSquared is off) times the activation backward's 1 / tau.
    const weights = termWeights(options);
    const rowScale = weights.inter / tau / batch;
    const gradientUniforms = [...softmax, [eps], [epsInside], [weights.intra / tau / classes], [rowScale]];

    // Row passes write one result per block of columns, column passes one per block of rows; the
    // reduce and block-sum programs combine the blocks.
    const rowMax = run(rowBlockReduceProgram(batch, classes, 2, 'max'), [run(rowMaxProgram(batch, classes), [student, teacher], [[logitLimit('float32', tau)]])]);
    const rowSums = run(rowSumsProgram(batch, classes, activation), [student, teacher, rowMax], softmax);
    const rowParams = run(rowBlockReduceProgram(batch, classes, 4, 'sum', rowParameters(classes, activation)), [rowSums]);
    // The logits and what activates them: their rows' max and parameters (1/S and mean(m), per side).
    const rowStats = [student, teacher, rowMax, rowParams];
    const rowCorr = run(rowBlockReduceProgram(2 * batch, classes, 2, 'sum'), [run(rowCorrelationProgram(batch, classes, activation), rowStats, softmax)]);
    const colMeans = run(blockSumProgram(batch, 4, classes, 1 / batch), [run(columnSumsProgram(batch, classes, activation), rowStats, softmax)]);
    const activationStats = [...rowStats, colMeans];
    const colCorr = run(blockSumProgram(batch, 2, 2 * classes, 1), [run(columnCorrelationProgram(batch, classes, activation), activationStats, softmax)]);

    const termProgram = lossTermProgram(batch, classes);
    const scalars = [0, 1, 2].map((term) =>
      backend.runWebGLProgram(termProgram, [rowCorr, colCorr], 'float32', [[eps], [epsInside], [weights.inter], [weights.intra], [term]]),
    );
    if (!options.gradient) return scalars;
    const colCoef = run(columnCoefficientsProgram(batch, classes), [colCorr], [[eps], [epsInside]]);
    // The softmax backward's row projection; the sigmoid's backward is elementwise.
    const projection = activation === 'softmax';
    const rowTermInputs = projection
      ? [rowCorr, run(rowBlockReduceProgram(batch, classes, 2, 'sum'), [run(rowProjectionProgram(batch, classes), [...activationStats, colCoef], gradientUniforms)])]
      : [rowCorr];
    const rowTerms = run(rowTermsProgram(batch, classes, projection), rowTermInputs, [[eps], [epsInside], [rowScale]]);
    const gradient = backend.runWebGLProgram(gradientProgram(batch, classes, activation), [...activationStats, colCoef, rowTerms], 'float32', gradientUniforms);
    return [...scalars, gradient];
  } finally {
    for (const info of intermediates) backend.disposeIntermediateTensorInfo(info);
  }
}
