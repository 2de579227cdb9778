/**
 * Space in a WebAssembly memory that can only grow: first-fit regions over it, so that bound logits
 * (kept across calls) and a call's scratch can come and go without the memory growing each time.
 */
const PAGE = 65536;

export class RegionAllocator {
  /** Allocated [start, end) pairs, sorted by start. */
  private readonly taken: { start: number; end: number }[] = [];

  /** Regions start at `reserved` (bytes before it belong to someone else) and end by `maxBytes`. */
  constructor(
    readonly memory: WebAssembly.Memory,
    private readonly reserved: number,
    readonly maxBytes: number,
  ) {}

  /** The bytes a region of `bytes` takes, rounded to the 16-byte alignment every region has. */
  static rounded(bytes: number): number {
    return Math.ceil(bytes / 16) * 16;
  }

  /** The start of a new region of `bytes` bytes (16-byte aligned), or undefined when it cannot fit. */
  allocate(bytes: number): number | undefined {
    const size = Math.max(16, RegionAllocator.rounded(bytes));
    let start = this.reserved;
    let index = 0;
    for (; index < this.taken.length; index++) {
      if (this.taken[index].start - start >= size) break;
      start = this.taken[index].end;
    }
    const end = start + size;
    if (end > this.maxBytes) return undefined;
    const missing = Math.ceil((end - this.memory.buffer.byteLength) / PAGE);
    if (missing > 0) {
      try {
        this.memory.grow(missing);
      } catch {
        return undefined;
      }
    }
    this.taken.splice(index, 0, { start, end });
    return start;
  }

  free(start: number): void {
    const index = this.taken.findIndex((region) => region.start === start);
    if (index >= 0) this.taken.splice(index, 1);
  }
}
