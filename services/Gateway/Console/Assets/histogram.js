// Quantiles from cumulative histogram buckets, as Prometheus' histogram_quantile: linear within the bucket.
// `newer` and `older` are two snapshots of one histogram ({bounds, cumulative}); their difference is the window.
export function windowQuantile(q, newer, older) {
  if (!newer || newer.count === 0) return null;
  const counts = newer.cumulative.map((c, i) => c - (older && older.cumulative.length ? older.cumulative[i] : 0));
  const total = counts[counts.length - 1];
  if (!(total > 0)) return null;
  const rank = q * total;
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] >= rank) {
      // The +Inf bucket has no upper bound: answer its lower bound, as Prometheus does.
      if (i >= newer.bounds.length) return newer.bounds[newer.bounds.length - 1];
      const lower = i === 0 ? 0 : newer.bounds[i - 1];
      const below = i === 0 ? 0 : counts[i - 1];
      const inBucket = counts[i] - below;
      return inBucket > 0 ? lower + (newer.bounds[i] - lower) * (rank - below) / inBucket : newer.bounds[i];
    }
  }
  return null;
}
