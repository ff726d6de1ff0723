/**
 * Intensity windows over raw sample values. A histogram is linear in the pixel count and cheap
 * for 8- and 16-bit data, so percentiles never need a sort.
 */
export interface IntensityWindow {
  low: number;
  high: number;
}

export function histogram(data: Uint8Array | Uint16Array, bitDepth: 8 | 16): Uint32Array {
  const counts = new Uint32Array(bitDepth === 16 ? 65536 : 256);
  for (let i = 0; i < data.length; i++) counts[data[i] as number]!++;
  return counts;
}

/** The raw values at two percentiles (0..100); high is kept above low so a flat image still maps. */
export function percentileWindow(
  data: Uint8Array | Uint16Array,
  bitDepth: 8 | 16,
  lowPercent: number,
  highPercent: number,
): IntensityWindow {
  const counts = histogram(data, bitDepth);
  const valueAt = (percent: number): number => {
    const rank = Math.min(data.length - 1, Math.max(0, Math.floor((percent / 100) * (data.length - 1))));
    let seen = 0;
    for (let value = 0; value < counts.length; value++) {
      seen += counts[value]!;
      if (seen > rank) return value;
    }
    return counts.length - 1;
  };
  const low = valueAt(lowPercent);
  const high = Math.max(valueAt(highPercent), low + 1);
  return { low, high };
}

/** A lookup table from raw value to (clip((v - low) / (high - low)) - mean) / std. */
export function scalingTable(bitDepth: 8 | 16, window: IntensityWindow, mean = 0, std = 1): Float32Array {
  const table = new Float32Array(bitDepth === 16 ? 65536 : 256);
  const span = window.high - window.low;
  for (let value = 0; value < table.length; value++) {
    const unit = Math.min(1, Math.max(0, (value - window.low) / span));
    table[value] = (unit - mean) / std;
  }
  return table;
}
