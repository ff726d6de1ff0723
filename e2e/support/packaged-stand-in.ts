/**
 * A stand-in for the packaged app, for the smoke test's own test: the real engine with the shipped
 * models, on METASCOPE_DATA and METASCOPE_INBOX, quitting on SIGTERM as the desktop app does
 * (finish, close the database, exit 0). STAND_IN_QUIT=crash or =ignore makes it misbehave.
 */
import { openEngine } from '../../electron/core/engine/index.js';
import { defaultDatabase, defaultInbox } from '../../electron/core/paths.js';

const engine = await openEngine({ database: defaultDatabase(), inbox: defaultInbox(), mode: 'desktop' });
process.on('SIGTERM', () => {
  if (process.env.STAND_IN_QUIT === 'ignore') return;
  if (process.env.STAND_IN_QUIT === 'crash') process.kill(process.pid, 'SIGKILL');
  else void engine.close().then(() => process.exit(0));
});
