/**
 * A file name cut in two for a middle ellipsis: the start may be shortened, the end never. The end
 * is what tells a plate's captures apart (well, field, channel), e.g. `plate3_…_B07_field012.tif`.
 */
export function splitForEllipsis(name: string, keep = 18): { start: string; end: string } {
  if (name.length <= keep) return { start: name, end: '' };
  let at = name.length - keep;
  // Begin the kept end at a separator when one is near, so it reads as whole parts of the name.
  const separator = name.slice(at, at + Math.floor(keep / 2)).search(/[_\-. ]/);
  if (separator >= 0) at += separator;
  return { start: name.slice(0, at), end: name.slice(at) };
}
