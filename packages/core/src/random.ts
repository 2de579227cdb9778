/**
 * A small, portable seeded PRNG (mulberry32): the same stream on every platform. Here, below
 * conformance and the bench, so that both draw the same inputs without either importing the other
 * (the bench page would otherwise bundle conformance's golden files).
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t = (t + Math.imul(t ^ (t >>> 7), t | 61)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
