/** A mistake in how the command was called: exit code 2, message without a stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
}
