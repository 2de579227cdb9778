export interface Summary {
  readonly mean: number;
  /** Sample standard deviation (n - 1); 0 for a single value. */
  readonly std: number;
  readonly min: number;
  readonly max: number;
  readonly count: number;
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new RangeError('cannot summarise an empty list');
  const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
  const squares = values.reduce((sum, v) => sum + (v - mean) ** 2, 0);
  return {
    mean,
    std: values.length > 1 ? Math.sqrt(squares / (values.length - 1)) : 0,
    min: Math.min(...values),
    max: Math.max(...values),
    count: values.length,
  };
}
