export interface Point {
  t: number;
  v: number;
}

/**
 * Largest-Triangle-Three-Buckets: keeps the visual shape (peaks included) of a long series in
 * `threshold` points. Linear time; the first and last points are always kept.
 */
export function downsample(data: Point[], threshold: number): Point[] {
  if (threshold >= data.length || threshold < 3) return data.slice();
  const out: Point[] = [data[0]];
  const every = (data.length - 2) / (threshold - 2);
  let a = 0;
  for (let i = 0; i < threshold - 2; i++) {
    const start = Math.floor(i * every) + 1;
    const end = Math.min(Math.floor((i + 1) * every) + 1, data.length - 1);
    // Average of the next bucket is the third triangle corner.
    const nStart = end;
    const nEnd = Math.min(Math.floor((i + 2) * every) + 1, data.length);
    let avgT = 0;
    let avgV = 0;
    for (let j = nStart; j < nEnd; j++) {
      avgT += data[j].t;
      avgV += data[j].v;
    }
    const n = Math.max(1, nEnd - nStart);
    avgT /= n;
    avgV /= n;
    let best = start;
    let bestArea = -1;
    const pa = data[a];
    for (let j = start; j < end; j++) {
      const area = Math.abs((pa.t - avgT) * (data[j].v - pa.v) - (pa.t - data[j].t) * (avgV - pa.v));
      if (area > bestArea) {
        bestArea = area;
        best = j;
      }
    }
    out.push(data[best]);
    a = best;
  }
  out.push(data[data.length - 1]);
  return out;
}
