import type { RequestInput, RequestName, RequestOutput } from '$contract/api.js';
import { ContractError } from '$contract/messages.js';
import { engine } from './engine.js';
import { messageOf, notices } from './notices.svelte.js';

/**
 * Calls the engine; a refusal is shown to the person and comes back as undefined. A lost
 * connection is not repeated per call: the connection banner already says so.
 */
export async function ask<N extends RequestName>(
  name: N,
  input: RequestInput<N>,
): Promise<RequestOutput<N> | undefined> {
  try {
    // Plain data, not reactive proxies: a MessagePort cannot clone those.
    return await engine.api.call(name, $state.snapshot(input) as RequestInput<N>);
  } catch (error) {
    if (!(error instanceof ContractError && error.code === 'disconnected'))
      notices.add('error', messageOf(error));
    return undefined;
  }
}
