/**
 * A colour for a share from 0 to 1: viridis, which reads in order from dark to light, prints in
 * grey and is told apart by people with colour-vision deficiency.
 */
const stops = ['#440154', '#3b528b', '#21918c', '#5ec962', '#fde725'] as const;

const channels = (hex: string): number[] => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));

export function shareColor(fraction: number): string {
  const at = Math.min(1, Math.max(0, fraction)) * (stops.length - 1);
  const low = Math.min(stops.length - 2, Math.floor(at));
  const t = at - low;
  const [a, b] = [channels(stops[low]!), channels(stops[low + 1]!)];
  const mixed = a.map((v, i) => Math.round(v + (b[i]! - v) * t));
  return `rgb(${mixed.join(' ')})`;
}

/** Dark text on the light end of the scale, white on the dark end. */
export const textOnShare = (fraction: number): string => (fraction > 0.62 ? '#14202c' : '#ffffff');

export const shareGradient = `linear-gradient(to right, ${stops.join(', ')})`;
