/**
 * Host values as the Float32Array that `queue.writeBuffer` takes. Dawn's Node bindings crash the
 * process (SIGSEGV) on a view of a SharedArrayBuffer, so such views are copied, as float64 values are.
 */
export function writableFloat32(values: Float32Array | Float64Array): Float32Array<ArrayBuffer> {
  const shared = typeof SharedArrayBuffer !== 'undefined' && values.buffer instanceof SharedArrayBuffer;
  return (values instanceof Float32Array && !shared ? values : Float32Array.from(values)) as Float32Array<ArrayBuffer>;
}
