import { eventEnvelope, type EventMessage } from '../../contract/messages.js';

export type Emitter = <N extends Parameters<typeof eventEnvelope>[0]>(
  name: N,
  payload: Parameters<typeof eventEnvelope<N>>[1],
) => void;

/** The engine's listeners, and the notices raised before anyone listened (given to each newcomer). */
export class EngineEvents {
  private readonly listeners = new Set<(message: EventMessage) => void>();
  private readonly early: EventMessage[] = [];

  readonly emit: Emitter = (name, payload) => {
    const message = eventEnvelope(name, payload as never);
    this.listeners.forEach((listener) => listener(message));
  };

  /** A warning met while starting: kept, so a window that connects later still sees it. */
  noticeBeforeStart(level: 'info' | 'warning' | 'error', message: string): void {
    this.early.push(eventEnvelope('notice', { level, message, at: new Date().toISOString() }));
  }

  listen(listener: (message: EventMessage) => void): () => void {
    this.listeners.add(listener);
    this.early.forEach((notice) => listener(notice));
    return () => this.listeners.delete(listener);
  }

  clear(): void {
    this.listeners.clear();
  }
}
