import { randomBytes } from 'node:crypto';

/** Long enough for a browser to start on a busy workstation, short enough to be worthless later. */
export const signInCodeLifetimeMs = 120_000;

export type Redemption = 'ok' | 'used' | 'expired' | 'unknown';

export interface SignInCodes {
  issue(): string;
  /** 'ok' once per code, within its lifetime. */
  redeem(code: string): Redemption;
}

/**
 * One-time codes for the address handed to a browser (`serve --open`). A program's command line is
 * readable by every account on the computer, so that address carries a code that buys the session
 * cookie once, for a short while, and never the run's token.
 */
export function signInCodes(lifetimeMs = signInCodeLifetimeMs): SignInCodes {
  const codes = new Map<string, { expires: number; used: boolean }>();
  return {
    issue() {
      const code = randomBytes(32).toString('base64url');
      codes.set(code, { expires: Date.now() + lifetimeMs, used: false });
      return code;
    },
    redeem(code) {
      const entry = codes.get(code);
      if (!entry) return 'unknown';
      if (entry.used) return 'used';
      if (Date.now() > entry.expires) return 'expired';
      entry.used = true;
      return 'ok';
    },
  };
}
