/** Moving [rows, classes] matrices between JavaScript arrays and the kernel's padded rows. */

/** The kernel's row stride in floats: `classes` rounded up to a multiple of 4 (assembly/layout.ts). */
export function rowStrideOf(classes: number): number {
  return Math.ceil(classes / 4) * 4;
}

/**
 * Copies `rows` rows `fromStride` floats apart into rows `toStride` floats apart from `toStart`
 * (the narrower of the two strides is the row's length). Float64 values are rounded to float32.
 */
export function copyRows(
  from: Float32Array | Float64Array,
  fromStride: number,
  to: Float32Array | Float64Array,
  toStart: number,
  toStride: number,
  rows: number,
): void {
  const classes = Math.min(fromStride, toStride);
  if (fromStride === toStride) {
    to.set(from.subarray(0, rows * classes), toStart);
    return;
  }
  for (let i = 0; i < rows; i++) {
    to.set(from.subarray(i * fromStride, i * fromStride + classes), toStart + i * toStride);
  }
}
