/** The q-quantile (0..1) by the nearest-rank method; timings here are noisy, so medians and ranks, not means. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function median(values: number[]): number {
  return quantile(values, 0.5);
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * The median with its distribution-free confidence interval (order statistics: the number of samples
 * below the true median is Binomial(n, 1/2)), at `level` or just above it. Needs no assumption about how
 * timings are distributed; with n = 31 at 95% the interval runs from the 10th to the 22nd smallest.
 */
export function medianInterval(values: number[], level = 0.95): { median: number; low: number; high: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return { median: NaN, low: NaN, high: NaN };
  // Largest k with P(B <= k - 1) <= (1 - level) / 2: then [x_(k), x_(n-k+1)] covers the median at >= level.
  const tail = (1 - level) / 2;
  let k = 0;
  let cdf = 0;
  let pmf = 0.5 ** n;
  for (let i = 0; i < n; i += 1) {
    if (cdf + pmf > tail) break;
    cdf += pmf;
    k = i + 1;
    pmf = (pmf * (n - i)) / (i + 1);
  }
  if (k === 0) return { median: median(sorted), low: sorted[0]!, high: sorted[n - 1]! };
  return { median: median(sorted), low: sorted[k - 1]!, high: sorted[n - k]! };
}
