import fc from 'fast-check';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { requestNames, requests, type RequestHandlers, type RequestName } from '../contract/api.js';
import { ContractError, dispatch, responseMessage } from '../contract/messages.js';

/**
 * Security check (runs in `npm test`): every validator of the contract, fuzzed through dispatch —
 * the function every transport (the engine process, the browser-mode server, the main process's
 * shell requests) runs on what a window sends. Random and hostile payloads never crash it, never
 * reach a handler unvalidated, and always come back as a well-formed, typed error response.
 */
const runs = Number(process.env.METASCOPE_FUZZ_RUNS ?? 300);

/** Handlers that only record what reached them, then answer with a recognisable error. */
function recordingHandlers() {
  const calls: Array<{ name: RequestName; input: unknown }> = [];
  const handlers = Object.fromEntries(
    requestNames.map((name) => [
      name,
      (input: unknown) => {
        calls.push({ name, input });
        throw new ContractError('recorded', `reached ${name}`);
      },
    ]),
  ) as unknown as RequestHandlers<RequestName>;
  return { handlers, calls };
}

const hostileStrings = fc.constantFrom(
  '',
  '..',
  '../../etc/passwd',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '/dev/zero',
  'C:\\Windows\\System32\\config\\SAM',
  '\\\\?\\C:\\x',
  '\u0000',
  'a\u0000b',
  '\u202e\u202d',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  '<script>alert(1)</script>',
  "'; DROP TABLE captures; --",
  'x'.repeat(70_000),
  '0'.repeat(64),
  'f'.repeat(64),
  'F'.repeat(64),
);

const hostileNumbers = fc.constantFrom(
  NaN,
  Infinity,
  -Infinity,
  -0,
  -1,
  0,
  1,
  2 ** 31,
  2 ** 53,
  -(2 ** 53),
  1.5,
  Number.MIN_VALUE,
  Number.MAX_VALUE,
);

/** Values of every JSON-ish kind, weighted towards edges. */
const value: fc.Arbitrary<unknown> = fc.oneof(
  {
    arbitrary: fc.anything({
      maxDepth: 3,
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withTypedArray: true,
      withNullPrototype: true,
      withObjectString: true,
      withBoxedValues: true,
    }),
    weight: 3,
  },
  { arbitrary: hostileStrings, weight: 2 },
  { arbitrary: hostileNumbers, weight: 2 },
  { arbitrary: fc.stringMatching(/^[0-9a-f]{64}$/), weight: 1 },
  { arbitrary: fc.integer({ min: 0, max: 100 }), weight: 2 },
  { arbitrary: fc.boolean(), weight: 1 },
  { arbitrary: fc.array(fc.string({ maxLength: 8 }), { maxLength: 4 }), weight: 1 },
  { arbitrary: fc.constant(undefined), weight: 2 },
  { arbitrary: fc.constant(null), weight: 1 },
);

/**
 * Valid inputs the shaped generator below rarely finds by chance (nested objects, patterns).
 * A new request whose fuzzing never passes validation fails its test until it has one here.
 */
const examples: Partial<Record<RequestName, unknown[]>> = {
  // A required integer id: random numbers are mostly fractions, so a run could miss every valid one.
  'folders.update': [{ id: 1, enabled: false }, { id: 2, recursive: true }],
  'folders.remove': [{ id: 3 }],
  'folders.add': [{ path: '/lab/microscope', recursive: true }],
  'models.import': [{ folder: '/lab/models/resnet' }],
  'captures.import': [{ files: [{ name: 'cell.png', dataBase64: 'iVBORw0KGgo=' }] }],
  'captures.get': [{ sha256: 'a'.repeat(64) }],
  'captures.histogram': [{ sha256: 'a'.repeat(64) }, { sha256: 'd'.repeat(64), page: 1, bins: 64 }],
  'captures.pixel': [{ sha256: 'a'.repeat(64), x: 12, y: 7 }],
  'captures.pixelSize': [{ sha256: 'e'.repeat(64) }],
  'reviews.add': [
    { sha256: 'b'.repeat(64), label: 'mitosis' },
    { sha256: 'c'.repeat(64), label: 'x', note: 'seen twice' },
  ],
  'models.activate': [{ id: 'default', version: '1.0.0' }],
  'models.remove': [{ id: 'second', version: '1.0.0', sha256: 'd'.repeat(64) }],
  'models.rerun': [{ model: { id: 'second', version: '1.0.0', sha256: 'd'.repeat(64) }, filter: { folderId: 1 } }],
  'models.compare': [
    {
      a: { id: 'default', version: '1.0.0', sha256: 'e'.repeat(64) },
      b: { id: 'second', version: '1.0.0', sha256: 'd'.repeat(64) },
    },
  ],
  'history.query': [
    {},
    { filter: { minProbability: 0.5 }, sort: { key: 'time', direction: 'asc' }, offset: 0, limit: 10 },
  ],
};

/** Objects with the request's own field names (so validation is passed often) holding any values. */
function inputFor(name: RequestName): fc.Arbitrary<unknown> {
  const schema = requests[name].input as z.ZodType;
  const keys = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
  const shaped =
    keys.length > 0
      ? fc.record(Object.fromEntries(keys.map((key) => [key, value])), { requiredKeys: [] })
      : fc.constant({});
  const polluted = fc.constantFrom<unknown>(
    JSON.parse('{"__proto__": {"polluted": true}}'),
    JSON.parse('{"constructor": {"prototype": {"polluted": true}}}'),
    Object.create(null),
    [],
    '{}',
  );
  const known = examples[name];
  return fc.oneof(
    { arbitrary: shaped, weight: 4 },
    { arbitrary: value, weight: 2 },
    { arbitrary: polluted, weight: 1 },
    ...(known ? [{ arbitrary: fc.constantFrom(...known), weight: 1 }] : []),
  );
}

/** For failure messages: JSON that survives BigInt, cycles and the like. */
function show(value: unknown): string {
  try {
    return (
      JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value)
    ).slice(0, 200);
  } catch {
    return String(value).slice(0, 200);
  }
}

function expectTypedError(response: unknown, id: number) {
  const parsed = responseMessage.safeParse(response);
  expect(parsed.success, `not a well-formed response: ${show(response)}`).toBe(true);
  expect(response).toMatchObject({ kind: 'response', id, ok: false });
  const error = (response as { error: { code: unknown; message: unknown } }).error;
  expect(typeof error.code).toBe('string');
  expect(typeof error.message).toBe('string');
}

describe('contract fuzzing: every request validator through dispatch', () => {
  for (const name of requestNames) {
    it(`${name}: hostile input is refused with bad-request; valid input reaches the handler validated`, async () => {
      const spec = requests[name];
      let reached = 0;
      await fc.assert(
        fc.asyncProperty(inputFor(name), fc.nat(), async (input, id) => {
          const { handlers, calls } = recordingHandlers();
          const response = await dispatch(handlers, { kind: 'request', id, name, input });
          expectTypedError(response, id);
          const accepted = spec.input.safeParse(input ?? {}).success;
          const code = (response as { error: { code: string } }).error.code;
          if (accepted) {
            reached++;
            expect(code).toBe('recorded');
            expect(calls).toHaveLength(1);
            expect(calls[0]?.name).toBe(name);
            // What the handler got is exactly what the validator accepts.
            expect(spec.input.safeParse(calls[0]?.input).success).toBe(true);
          } else {
            expect(code).toBe('bad-request');
            expect(calls).toHaveLength(0);
          }
        }),
        { numRuns: runs },
      );
      // The fuzzer must get through validation at least once, else the property is hollow.
      expect(
        reached,
        `no generated ${name} input was valid: add one to \`examples\` in this file`,
      ).toBeGreaterThan(0);
    });
  }
});

describe('contract fuzzing: message envelopes through dispatch', () => {
  const envelope = fc.record(
    {
      kind: fc.oneof(fc.constant('request'), fc.constantFrom('response', 'event', 'REQUEST', ''), value),
      id: fc.oneof(fc.nat(), hostileNumbers, value),
      name: fc.oneof(fc.constantFrom(...requestNames), hostileStrings, fc.string({ maxLength: 20 }), value),
      input: value,
    },
    { requiredKeys: [] },
  );

  it('never throws; answers with a well-formed typed response, or not at all when there is no usable id', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(envelope, value), async (raw) => {
        const { handlers, calls } = recordingHandlers();
        const response = await dispatch(handlers, raw);
        const id = (raw as { id?: unknown } | null)?.id;
        const usableId = typeof id === 'number' && Number.isSafeInteger(id) && id >= 0;
        if (response === null) {
          expect(usableId && (raw as { kind?: unknown }).kind === 'request').toBe(false);
          expect(calls).toHaveLength(0);
          return;
        }
        const parsed = responseMessage.safeParse(response);
        expect(parsed.success, `malformed response to ${show(raw)}: ${show(response)}`).toBe(true);
        expect(response.ok).toBe(false);
        if (calls.length > 0) expect(response.ok === false && response.error.code).toBe('recorded');
      }),
      { numRuns: runs * 4 },
    );
  });

  it('leaves Object.prototype untouched after all of the above', () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
  });
});
