/** Named escapes for the control characters a file name most often carries. */
const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Text for a person's terminal: control characters (C0, DEL, C1) are written as visible escapes
 * (`\x1b`, `\r`, `\n`), so a file name can neither clear the screen nor forge a line. Every
 * human-readable line the CLI prints goes through it; JSON and CSV keep the text exact.
 */
export function visible(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => named[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

/** One line for the person at the terminal (stderr), made visible. */
export const say = (line: string): void => void process.stderr.write(`${visible(line)}\n`);
