import { z } from 'zod';
import { eventNames, events, requestNames, requests, type EventName, type EventPayload, type RequestHandlers, type RequestName } from './api.js';

/** The envelopes every transport carries (MessagePort, WebSocket, worker): plain JSON. */
export const requestMessage = z.object({
  kind: z.literal('request'),
  id: z.number().int().nonnegative(),
  name: z.enum(requestNames as [RequestName, ...RequestName[]]),
  input: z.unknown(),
});
export const responseMessage = z.discriminatedUnion('ok', [
  z.object({ kind: z.literal('response'), id: z.number().int(), ok: z.literal(true), output: z.unknown() }),
  z.object({
    kind: z.literal('response'),
    id: z.number().int(),
    ok: z.literal(false),
    error: z.object({ code: z.string(), message: z.string() }),
  }),
]);
export const eventMessage = z.object({
  kind: z.literal('event'),
  name: z.enum(eventNames as [EventName, ...EventName[]]),
  payload: z.unknown(),
});

export type RequestMessage = z.infer<typeof requestMessage>;
export type ResponseMessage = z.infer<typeof responseMessage>;
export type EventMessage = z.infer<typeof eventMessage>;

/** An error a front end can show as it is: the message is written for people. */
export interface ContractErrorShape {
  code: string;
  message: string;
}

export class ContractError extends Error implements ContractErrorShape {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ContractError';
  }
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : 'message'}: ${issue.message}`)
    .join('; ');
}

/**
 * The engine side of every transport: validates an incoming message against the contract, runs
 * its handler, validates what the handler returns. Never throws: anything wrong becomes a response.
 * `handlers` may cover part of the contract (the engine's, or a shell's); the rest is refused.
 */
export async function dispatch(handlers: Partial<RequestHandlers<RequestName>>, raw: unknown): Promise<ResponseMessage | null> {
  const parsed = requestMessage.safeParse(raw);
  if (!parsed.success) {
    // Only an id the sender could match (a non-negative integer) gets an answer: NaN, 1.5 or
    // Infinity would make a response that fails the envelope's own schema (found by fuzzing).
    const rawId = (raw as { id?: unknown } | null)?.id;
    const id = typeof rawId === 'number' && Number.isSafeInteger(rawId) ? rawId : -1;
    if (id < 0) return null;
    return { kind: 'response', id, ok: false, error: { code: 'bad-request', message: `Malformed request (${describeIssues(parsed.error)}).` } };
  }
  const { id, name, input } = parsed.data;
  const spec = requests[name];
  const args = spec.input.safeParse(input ?? {});
  if (!args.success) {
    return { kind: 'response', id, ok: false, error: { code: 'bad-request', message: `Invalid ${name} request (${describeIssues(args.error)}).` } };
  }
  const handler = handlers[name] as ((input: unknown) => unknown) | undefined;
  if (!handler) {
    return { kind: 'response', id, ok: false, error: { code: 'unsupported', message: `This part of MetaScope cannot answer ${name}.` } };
  }
  try {
    const output = spec.output.parse(await handler(args.data));
    return { kind: 'response', id, ok: true, output };
  } catch (error) {
    const code = error instanceof ContractError ? error.code : ((error as { code?: string }).code ?? 'engine-error');
    const message = error instanceof Error ? error.message : String(error);
    return { kind: 'response', id, ok: false, error: { code: String(code), message } };
  }
}

/** Checks an event's payload before it leaves the engine. */
export function eventEnvelope<N extends EventName>(name: N, payload: EventPayload<N>): EventMessage {
  return { kind: 'event', name, payload: events[name].parse(payload) };
}
