/**
 * Host arrays into and out of tfjs-webgl textures without tfjs's transfer passes.
 *
 * `tf.tensor2d` on tfjs-webgl uploads the values into a dense texture and then runs a program that
 * copies them into the packed layout the DIST programs read; `data()` runs a program that copies a
 * packed texture back into a dense one before reading it. Here the host side lays the values out as
 * packed texels itself (a texel holds the 2 x 2 block of rows 2i, 2i + 1 and columns 2j, 2j + 1, as
 * R, G, B, A) and writes them straight into the tensor's texture; a packed result is read back the
 * same way, through a pixel buffer and a fence as tfjs's own asynchronous read. Both skip a pass
 * over the logits each, on the GPU; in headless Chromium (SwiftShader) a `compute` with the
 * gradient went from 33.8 to 23.4 ms at 256x1000 and from 97.7 to 71.8 ms at 1024x1000
 * (`pnpm bench --browser --backends tfjs-webgl`, docs/bench/session10/notes.md).
 *
 * Only where the texture has the plain packed shape ([rows, columns] rounded up to even, as
 * tfjs-webgl 4.x gives every 2D tensor within the texture size limit), on WebGL 2 with float32
 * textures: elsewhere the callers use tfjs's own transfers.
 */
import * as tf from '@tensorflow/tfjs';

/** What tfjs-webgl records of a tensor's texture (its TextureData). */
interface TextureRecord {
  /** The texture and its size in texels, [height, width]. */
  texture?: { texture: WebGLTexture; texShape: [number, number] } | null;
  /** The texture's size in values, [rows, columns]. */
  texShape?: [number, number] | null;
  isPacked?: boolean;
}

/** The parts of tfjs-backend-webgl 4.x's MathBackendWebGL and GPGPUContext used here. */
interface WebGLTransferBackend {
  readonly gpgpu: {
    readonly gl: WebGL2RenderingContext;
    createBufferFromTexture(texture: WebGLTexture, rows: number, columns: number): WebGLBuffer;
    createAndWaitForFence(): Promise<void>;
    downloadFloat32MatrixFromBuffer(buffer: WebGLBuffer, size: number): Float32Array;
  };
  readonly texData: { get(dataId: object): TextureRecord };
  makeTensorInfo(shape: number[], dtype: 'float32'): tf.TensorInfo;
  uploadToGPU(dataId: object): void;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** tfjs-webgl's backend when the direct transfers apply to it, else undefined. */
function transferBackend(): WebGLTransferBackend | undefined {
  if (tf.getBackend() !== 'webgl') return undefined;
  const flags = tf.env();
  if (flags.getNumber('WEBGL_VERSION') < 2 || !flags.getBool('WEBGL_RENDER_FLOAT32_ENABLED') || !flags.getBool('WEBGL_DOWNLOAD_FLOAT_ENABLED')) return undefined;
  const backend = tf.backend() as unknown as Partial<WebGLTransferBackend>;
  const gpgpu = backend.gpgpu;
  if (!gpgpu?.gl || typeof gpgpu.createBufferFromTexture !== 'function' || typeof backend.uploadToGPU !== 'function' || !backend.texData) return undefined;
  return backend as WebGLTransferBackend;
}

/**
 * The packed texture's size in texels, [height, width], when it has the plain layout; else
 * undefined. tfjs records the texture's shape in values ([rows, columns] rounded up to even) and
 * the texture's own in texels.
 */
function plainTexels(record: TextureRecord, rows: number, columns: number): [number, number] | undefined {
  const texels = record.texture?.texShape;
  const height = Math.ceil(rows / 2);
  const width = Math.ceil(columns / 2);
  const plain = record.isPacked && texels?.[0] === height && texels[1] === width && record.texShape?.[0] === 2 * height && record.texShape[1] === 2 * width;
  return plain ? [height, width] : undefined;
}

/**
 * A packed float32 tensor holding `values` (row-major [rows, columns]), its texture written from the
 * host; undefined where tfjs-webgl would not give it the plain packed layout (then `tf.tensor2d`).
 */
export function packedTextureTensor(values: Float32Array, shape: [number, number]): tf.Tensor2D | undefined {
  const backend = transferBackend();
  if (!backend) return undefined;
  const [rows, columns] = shape;
  const info = backend.makeTensorInfo(shape, 'float32');
  const record = backend.texData.get(info.dataId);
  // A tensor with no values yet: tfjs gives it an empty texture of the packed kind.
  record.isPacked = true;
  backend.uploadToGPU(info.dataId);
  const texels = plainTexels(record, rows, columns);
  if (!texels) {
    backend.disposeData(info.dataId, true);
    return undefined;
  }
  const gl = backend.gpgpu.gl;
  gl.bindTexture(gl.TEXTURE_2D, record.texture!.texture);
  gl.texSubImage2D(gl.TEXTURE_2D, 0, 0, 0, texels[1], texels[0], gl.RGBA, gl.FLOAT, toPackedTexels(values, rows, columns));
  gl.bindTexture(gl.TEXTURE_2D, null);
  return tf.engine().makeTensorFromTensorInfo(info, tf.backend()) as tf.Tensor2D;
}

/**
 * The values of a packed 2D float32 tensor, read from its texture; undefined where it is not one
 * with the plain packed layout on tfjs-webgl (then `tensor.data()`). The texture's content is
 * copied into the pixel buffer before this returns, so the tensor may be disposed at once.
 */
export function readPackedTexture(tensor: tf.Tensor): Promise<Float32Array> | undefined {
  const backend = transferBackend();
  if (!backend || tensor.rank !== 2 || tensor.dtype !== 'float32') return undefined;
  const [rows, columns] = tensor.shape as [number, number];
  const record = backend.texData.get(tensor.dataId);
  const texels = plainTexels(record, rows, columns);
  if (!texels) return undefined;
  const gpgpu = backend.gpgpu;
  const buffer = gpgpu.createBufferFromTexture(record.texture!.texture, texels[0], texels[1]);
  return (async () => {
    try {
      await gpgpu.createAndWaitForFence();
      return fromPackedTexels(gpgpu.downloadFloat32MatrixFromBuffer(buffer, texels[0] * texels[1] * 4), rows, columns);
    } finally {
      gpgpu.gl.deleteBuffer(buffer);
    }
  })();
}

/** Row-major [rows, columns] as packed texels (2 x 2 blocks, zeros past an odd edge). */
export function toPackedTexels(values: Float32Array, rows: number, columns: number): Float32Array {
  return reorder(values, rows, columns, true);
}

/** Packed texels back to row-major [rows, columns]. */
export function fromPackedTexels(texels: Float32Array, rows: number, columns: number): Float32Array {
  return reorder(texels, rows, columns, false);
}

/**
 * Copies between the two layouts. Columns 2j and 2j + 1 of a row are adjacent in both (R, G of a
 * texel for an even row, B, A for an odd one), so each step copies such a pair.
 */
function reorder(source: Float32Array, rows: number, columns: number, toTexels: boolean): Float32Array {
  const width = Math.ceil(columns / 2);
  const target = new Float32Array(toTexels ? Math.ceil(rows / 2) * width * 4 : rows * columns);
  for (let row = 0; row < rows; row++) {
    let texel = (row >> 1) * width * 4 + (row & 1) * 2;
    for (let column = 0; column < columns; column += 2, texel += 4) {
      const value = row * columns + column;
      const from = toTexels ? value : texel;
      const to = toTexels ? texel : value;
      target[to] = source[from]!;
      if (column + 1 < columns) target[to + 1] = source[from + 1]!;
    }
  }
  return target;
}
