const quote = 0x22;
const backslash = 0x5c;
const opening = new Set([0x5b, 0x7b]); // [ {
const closing = new Set([0x5d, 0x7d]); // ] }

/**
 * Whether a JSON text nests arrays and objects more than `limit` deep, read from its bytes before
 * it is parsed: a deep message costs memory to parse and overflows the stack of the structured
 * clone to the engine's thread. Exact for valid JSON; what JSON.parse refuses anyway may be miscounted.
 */
export function nestedDeeperThan(bytes: Buffer, limit: number): boolean {
  let depth = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte === quote) {
      i = endOfString(bytes, i);
      if (i < 0) return false;
    } else if (opening.has(byte)) {
      if (++depth > limit) return true;
    } else if (closing.has(byte)) depth--;
  }
  return false;
}

/** The closing quote of the string opened at `start` (one not escaped by an odd run of backslashes), or -1. */
function endOfString(bytes: Buffer, start: number): number {
  // indexOf skips a dropped capture's megabytes of base64 natively.
  for (let end = bytes.indexOf(quote, start + 1); end >= 0; end = bytes.indexOf(quote, end + 1)) {
    let backslashes = 0;
    while (bytes[end - 1 - backslashes] === backslash) backslashes++;
    if (backslashes % 2 === 0) return end;
  }
  return -1;
}
