import type { Migration } from '../migrate.js';
import { migration0001 } from './0001-initial.js';
import { migration0002 } from './0002-history-indexes.js';
import { migration0003 } from './0003-cells.js';
import { migration0004 } from './0004-scope.js';
import { migration0005 } from './0005-final-labels.js';
import { migration0006 } from './0006-former-paths.js';

/** Every schema step in order. A committed step is never edited: a change is a new numbered file. */
export const migrations: readonly Migration[] = [
  migration0001,
  migration0002,
  migration0003,
  migration0004,
  migration0005,
  migration0006,
];
