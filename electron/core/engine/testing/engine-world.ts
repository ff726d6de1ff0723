import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { EngineRequestName, EventName, EventPayload, RequestInput, RequestOutput } from '../../../contract/api.js';
import { dispatch, type EventMessage, type ResponseMessage } from '../../../contract/messages.js';
import { encode, greyImage, makeTempDir } from '../../capture/testing/images.js';
import { writeModelFolder, tinyModelSpec, type ManifestChanges } from '../../model/testing/model-folder.js';
import { openEngine, type Engine, type EngineOptions } from '../index.js';

/**
 * A real engine in a temporary folder, driven as a front end drives it: requests go through
 * `dispatch` with the contract's envelopes, events arrive through `onEvent`.
 */

export const sha256Of = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** A 16×16 8-bit grey PNG, every pixel `value`: the tiny model calls it bright above 127.5. */
export const flatCapture = (value: number, size = 16): Promise<Buffer> => encode(greyImage(size, size, 8, () => value), 'png');

/** p(bright) the tiny model gives a flat 8-bit capture: sigmoid(4 · value / 255 − 2). */
export const brightness = (value: number): number => 1 / (1 + Math.exp(-(4 * (value / 255) - 2)));

export class CallError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Driven {
  engine: Engine;
  /** Every event heard since the engine opened, in order. */
  events: EventMessage[];
  /** The response envelope, as a front end receives it. */
  respond(name: string, input: unknown): Promise<ResponseMessage>;
  /** The output of a successful call; a failed one throws a CallError with the response's code. */
  call<N extends EngineRequestName>(name: N, input: RequestInput<N>): Promise<RequestOutput<N>>;
  /** The first event (heard already or still to come) of `name` that `match` accepts. */
  event<N extends EventName>(name: N, match?: (payload: EventPayload<N>) => boolean, timeoutMs?: number): Promise<EventPayload<N>>;
  close(): Promise<void>;
}

export interface EngineWorld {
  dir: string;
  database: string;
  inbox: string;
  /** The tiny test model's folder (id test-linear-mean). */
  model: string;
  /** Where the engine looks for shipped models (METASCOPE_MODELS): empty unless a test fills it. */
  shipped: string;
  open(options?: Partial<EngineOptions>): Promise<Driven>;
  /** Writes another tiny model folder, e.g. with another id. */
  writeModel(name: string, changes?: ManifestChanges): Promise<string>;
  /** Writes a flat capture into `folder` (the inbox by default) and returns its SHA-256. */
  drop(name: string, value: number, folder?: string): Promise<string>;
  cleanup(): Promise<void>;
}

export async function engineWorld(): Promise<EngineWorld> {
  const temp = makeTempDir('metascope-engine-');
  const database = path.join(temp.dir, 'data', 'metascope.db');
  const inbox = path.join(temp.dir, 'inbox');
  const shipped = path.join(temp.dir, 'shipped');
  mkdirSync(shipped);
  // The repository's own models/ is someone else's work in progress: keep it out of these tests.
  const savedModels = process.env.METASCOPE_MODELS;
  process.env.METASCOPE_MODELS = shipped;
  const model = path.join(temp.dir, 'model');
  await writeModelFolder(model, tinyModelSpec);
  const opened = new Set<Driven>();

  const world: EngineWorld = {
    dir: temp.dir,
    database,
    inbox,
    model,
    shipped,
    async open(options = {}) {
      const engine = await openEngine({ database, inbox, mode: 'browser', modelFolder: model, settleMs: 100, ...options });
      const driven = drive(engine, () => opened.delete(driven));
      opened.add(driven);
      return driven;
    },
    async writeModel(name, changes = {}) {
      const folder = path.join(temp.dir, name);
      await writeModelFolder(folder, tinyModelSpec, changes);
      return folder;
    },
    async drop(name, value, folder = inbox) {
      const bytes = await flatCapture(value);
      writeFileSync(path.join(folder, name), bytes);
      return sha256Of(bytes);
    },
    async cleanup() {
      await Promise.all([...opened].map((driven) => driven.close()));
      if (savedModels === undefined) delete process.env.METASCOPE_MODELS;
      else process.env.METASCOPE_MODELS = savedModels;
      temp.remove();
    },
  };
  return world;
}

function drive(engine: Engine, forget: () => void): Driven {
  const events: EventMessage[] = [];
  const waiters = new Set<() => void>();
  engine.onEvent((message) => {
    events.push(message);
    waiters.forEach((wake) => wake());
  });
  let nextId = 1;
  let closed = false;

  const respond = async (name: string, input: unknown): Promise<ResponseMessage> => {
    const response = await dispatch(engine.handlers, { kind: 'request', id: nextId++, name, input });
    if (!response) throw new Error(`dispatch gave no answer to ${name}.`);
    // Whatever a front end receives must itself be a well-formed envelope.
    return JSON.parse(JSON.stringify(response)) as ResponseMessage;
  };

  return {
    engine,
    events,
    respond,
    async call(name, input) {
      const response = await respond(name, input);
      if (!response.ok) throw new CallError(response.error.code, `${name} failed (${response.error.code}): ${response.error.message}`);
      return response.output as never;
    },
    event(name, match = () => true, timeoutMs = 20_000) {
      const find = () => events.find((e) => e.name === name && match(e.payload as never))?.payload as never;
      return new Promise((resolve, reject) => {
        const found = find();
        if (found !== undefined) return resolve(found);
        const wake = () => {
          const hit = find();
          if (hit === undefined) return;
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(hit);
        };
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(new Error(`Timed out after ${timeoutMs} ms waiting for a ${name} event.`));
        }, timeoutMs);
        waiters.add(wake);
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      forget();
      await engine.close();
    },
  };
}
