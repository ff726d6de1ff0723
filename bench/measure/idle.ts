import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** CPU time (user + system) of a process so far, in seconds, from /proc (Linux). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticksPerSecond = 100;
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/**
 * CPU use of `metascope watch` on a quiet folder: started, given `warmupSeconds` to load, then
 * sampled over `windowSeconds`. Percent of one core.
 */
export async function measureIdle(cli: string, model: string, windowSeconds = 30, warmupSeconds = 8): Promise<number | string> {
  if (process.platform !== 'linux') return 'skipped: reads /proc, Linux only';
  const dir = await mkdtemp(path.join(tmpdir(), 'metascope-idle-'));
  const child = spawn(process.execPath, [cli, 'watch', dir, '--db', path.join(dir, 'idle.db'), '--model', model], {
    stdio: 'ignore',
  });
  try {
    await new Promise((resolve) => setTimeout(resolve, warmupSeconds * 1000));
    const before = await cpuSeconds(child.pid!);
    await new Promise((resolve) => setTimeout(resolve, windowSeconds * 1000));
    const after = await cpuSeconds(child.pid!);
    return ((after - before) / windowSeconds) * 100;
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await rm(dir, { recursive: true, force: true });
  }
}
