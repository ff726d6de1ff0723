import { z } from 'zod';
import { imageRequest, sha256Pattern } from '../contract/images.js';
import { responseMessage } from '../contract/messages.js';

/**
 * The control messages between the main process and the engine's utility process (over
 * process.parentPort). Contract traffic does not pass here: it goes window ↔ engine over a
 * MessagePort per window. Both sides validate what they receive.
 */
const windowId = z.number().int().nonnegative();
const errorShape = z.object({ code: z.string(), message: z.string() });

export const engineStartOptions = z.object({
  database: z.string().min(1),
  modelFolder: z.string().min(1).optional(),
  inbox: z.string().min(1).optional(),
  mode: z.enum(['desktop', 'browser']),
  watch: z.array(z.string().min(1)).optional(),
  detectorFolder: z.string().min(1).optional(),
  /** The better-sqlite3 addon built for Electron (see openDatabase). */
  sqliteAddon: z.string().min(1).optional(),
});

/** main → engine process */
export const toEngine = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('start'),
    options: engineStartOptions,
    /** Contract requests the main process answers itself (native dialogs), forwarded to it. */
    shellRequests: z.array(z.string()).default([]),
  }),
  /** Carries one MessagePort: the window's end is in its preload. */
  z.object({ type: z.literal('connect'), windowId }),
  z.object({ type: z.literal('disconnect'), windowId }),
  z.object({
    type: z.literal('render'),
    id: z.number().int().nonnegative(),
    sha256: z.string().regex(sha256Pattern),
    // The one image request of the contract, so every front door asks for the same things.
    request: imageRequest,
  }),
  z.object({ type: z.literal('shell-response'), windowId, response: responseMessage }),
  z.object({ type: z.literal('shutdown') }),
]);

const bytes = z.custom<Uint8Array>((value) => value instanceof Uint8Array, 'expected bytes');

/** engine process → main */
export const fromEngine = z.union([
  z.object({ type: z.literal('ready') }),
  /** The engine could not open; the process stays up and answers every request with this reason. */
  z.object({ type: z.literal('failed'), message: z.string() }),
  z.object({
    type: z.literal('rendered'),
    id: z.number().int().nonnegative(),
    ok: z.literal(true),
    body: bytes,
    mime: z.string(),
    window: z.object({ low: z.number(), high: z.number() }),
  }),
  z.object({
    type: z.literal('rendered'),
    id: z.number().int().nonnegative(),
    ok: z.literal(false),
    error: errorShape,
  }),
  z.object({ type: z.literal('shell-request'), windowId, message: z.unknown() }),
  z.object({ type: z.literal('closed') }),
]);

export type EngineStartOptions = z.infer<typeof engineStartOptions>;
export type ToEngine = z.input<typeof toEngine>;
export type ToEngineParsed = z.output<typeof toEngine>;
export type FromEngine = z.infer<typeof fromEngine>;
