import type { Migration } from '../migrate.js';
import { migration0001 } from './0001-initial.js';

/** Every schema step in order. A released step is never edited: a change is a new numbered file. */
export const migrations: readonly Migration[] = [migration0001];
