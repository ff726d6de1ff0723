/**
 * Messages of the facility database (lost connections, pg-boss maintenance), each passed on at most
 * once a minute: a restarted server ends every idle connection of a pool at once, each with an error.
 */
export function onceAMinute(pass: (message: string) => void): (message: string) => void {
  const said = new Map<string, number>();
  return (message) => {
    const now = Date.now();
    if (now - (said.get(message) ?? 0) < 60_000) return;
    said.set(message, now);
    pass(message);
  };
}
