/** Why a capture could not be read, as a code for programs and a sentence for people. */
export type CaptureErrorCode =
  | 'empty'
  | 'unreadable'
  | 'not-an-image'
  | 'unsupported-format'
  | 'unsupported-pixels'
  | 'corrupt'
  | 'too-large'
  | 'no-such-page'
  | 'no-such-pixel'
  | 'wrong-channels'
  | 'no-detector';

export class CaptureError extends Error {
  constructor(
    readonly code: CaptureErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CaptureError';
  }
}

export function isCaptureError(error: unknown): error is CaptureError {
  return error instanceof CaptureError;
}
