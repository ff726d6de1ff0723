import { events, requests, type EngineApi, type EventName, type RequestName } from './api.js';
import { ContractError, eventMessage, responseMessage, type RequestMessage } from './messages.js';

export interface ClientTransport {
  send(message: RequestMessage): void;
  /** Registers the function that receives every message from the engine. */
  receive(handler: (message: unknown) => void): void;
}

export interface EngineClient extends EngineApi {
  /** Fails every call still waiting, e.g. when the connection to the engine is lost. */
  disconnected(message: string): void;
}

/** The front-end side of every transport: the same EngineApi over any pipe that carries JSON. */
export function createClient(transport: ClientTransport): EngineClient {
  let nextId = 1;
  const pending = new Map<number, { name: RequestName; resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners = new Map<EventName, Set<(payload: never) => void>>();

  transport.receive((raw) => {
    const response = responseMessage.safeParse(raw);
    if (response.success) {
      const waiting = pending.get(response.data.id);
      if (!waiting) return;
      pending.delete(response.data.id);
      if (response.data.ok) {
        const output = requests[waiting.name].output.safeParse(response.data.output);
        if (output.success) waiting.resolve(output.data);
        else waiting.reject(new ContractError('bad-response', `The engine sent an unexpected answer to ${waiting.name}.`));
      } else {
        waiting.reject(new ContractError(response.data.error.code, response.data.error.message));
      }
      return;
    }
    const event = eventMessage.safeParse(raw);
    if (!event.success) return;
    const payload = events[event.data.name].safeParse(event.data.payload);
    if (!payload.success) return;
    listeners.get(event.data.name)?.forEach((listener) => listener(payload.data as never));
  });

  return {
    call(name, input) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { name, resolve: resolve as (v: unknown) => void, reject });
        transport.send({ kind: 'request', id, name, input });
      });
    },
    disconnected(message) {
      for (const waiting of pending.values()) waiting.reject(new ContractError('disconnected', message));
      pending.clear();
    },
    on(name, listener) {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      set.add(listener as (payload: never) => void);
      return () => set.delete(listener as (payload: never) => void);
    },
  };
}
