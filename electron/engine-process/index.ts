import type { MessagePortMain } from 'electron';
import { openEngine } from '../core/engine/index.js';
import { openLog } from '../core/log-file.js';
import { EngineHost, type HostPort } from './host.js';

/**
 * Entry of the engine's utility process (utilityProcess.fork from the main process). The engine
 * lives here so that a long inference or a crash never freezes a window. Electron appears only
 * as types: the process talks through process.parentPort and the ports it is sent.
 */
function adapt(port: MessagePortMain): HostPort {
  return {
    postMessage: (message) => port.postMessage(message),
    onMessage: (listener) => port.on('message', (event) => listener(event.data)),
    onClose: (listener) => port.on('close', listener),
    start: () => port.start(),
    close: () => port.close(),
  };
}

const parent = process.parentPort;
if (!parent) {
  process.stderr.write(
    'The MetaScope engine process must be started by the MetaScope app (as an Electron utility process).\n',
  );
  process.exit(2);
}
const log = openLog('engine');

const host = new EngineHost({
  // The engine creates its data folder, or says in a sentence why it cannot.
  open: (options) => openEngine(options),
  post: (message) => parent.postMessage(message),
  exit: (code) => process.exit(code),
  log,
});

parent.on('message', (event) => host.handleParentMessage(event.data, event.ports.map(adapt)));
