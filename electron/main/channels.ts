/** IPC channel names between the main process and the preload (the preload keeps its own copy). */
export const channels = {
  /** preload → main: this window is ready for a MessagePort to the engine. */
  connect: 'metascope:connect',
  /** main → preload: the window's end of a MessageChannel to the engine. */
  port: 'metascope:port',
  /** main → preload: a contract event made by the main process (a notice). */
  event: 'metascope:event',
  /** main → preload: the engine went away; `{ message, final }`. */
  disconnected: 'metascope:disconnected',
} as const;
