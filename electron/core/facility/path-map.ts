/** One `--path-map FROM=TO` rule: paths that start with `from` are read at `to` on this machine. */
export interface PathRule {
  from: string;
  to: string;
}

/** Reads `FROM=TO`; the sentence says what is wrong with anything else. */
export function parsePathRule(text: string): PathRule {
  const at = text.indexOf('=');
  const from = at < 0 ? '' : text.slice(0, at);
  const to = at < 0 ? '' : text.slice(at + 1);
  if (from === '' || to === '') {
    throw new Error(
      `--path-map takes FROM=TO, such as 'D:\\Exports=/mnt/exports' or /data/scope-3=/mnt/scope-3, not ${JSON.stringify(text)}.`,
    );
  }
  return { from, to };
}

/**
 * Where this machine reads a capture a workstation saw at `path`: the longest matching rule wins,
 * and a Windows remainder gets forward slashes when the target is a POSIX path. Without a
 * matching rule the path is read as it is (a share mounted at the same place everywhere).
 */
export function mapPath(path: string, rules: readonly PathRule[]): string {
  const trim = (p: string) => p.replace(/[\\/]$/, '');
  // A rule for /data/scope-1 must not catch /data/scope-10: the prefix ends at a separator.
  const covers = (from: string) =>
    path.startsWith(from) && [undefined, '/', '\\'].includes(path[from.length]);
  const rule = rules
    .filter((r) => covers(trim(r.from)))
    .sort((a, b) => trim(b.from).length - trim(a.from).length)[0];
  if (!rule) return path;
  const to = trim(rule.to);
  const rest = path.slice(trim(rule.from).length);
  return to + (to.includes('/') ? rest.replace(/\\/g, '/') : rest);
}
