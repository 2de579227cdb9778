/**
 * The WebGPU spec's flag values. Browsers expose them as globals (GPUBufferUsage, GPUMapMode); in
 * Node the `webgpu` package exports them separately, so the backend spells them out once here.
 */
export const BufferUsage = {
  MAP_READ: 0x0001,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
} as const;

export const MapMode = { READ: 0x0001 } as const;
