import { describe, expect, it } from 'vitest';
import { createRandom, permutation } from '../src/random.js';

describe('seeded shuffling', () => {
  it('repeats a permutation for a seed and changes it with the seed', () => {
    const a = permutation(1000, createRandom(7));
    expect(permutation(1000, createRandom(7))).toEqual(a);
    expect(permutation(1000, createRandom(8))).not.toEqual(a);
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('draws numbers in [0, 1)', () => {
    const random = createRandom(1);
    const draws = Array.from({ length: 10000 }, random);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
    const mean = draws.reduce((s, v) => s + v, 0) / draws.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.02);
  });
});
