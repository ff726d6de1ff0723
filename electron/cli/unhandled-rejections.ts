/**
 * For `serve`: one bad request must not stop MetaScope for everyone using it. A promise that
 * failed where nobody was waiting is said on stderr, and the server goes on.
 */
export function surviveUnhandledRejections(): void {
  process.on('unhandledRejection', (reason) =>
    process.stderr.write(
      `metascope: an error was caught and MetaScope keeps running: ${reason instanceof Error ? reason.message : String(reason)}\n`,
    ),
  );
}
