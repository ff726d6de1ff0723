import os from 'node:os';
import { ContractError } from '../../contract/messages.js';
import { facilityConnection, type FacilityConnection } from '../facility/connection.js';
import { openFacilityDatabase, type FacilityDatabase } from '../facility/database.js';
import { onceAMinute } from '../facility/notices.js';
import type { Station } from '../facility/producer.js';
import { checkFacilitySchema, facilityUnusable } from '../facility/usable.js';
import type { HistoryStore } from '../history-store/history-store.js';
import { postgresHistory } from '../history-store/postgres.js';

/** A facility database to read the history from: its address (no password) and where the password is. */
export interface FacilityAddress {
  address: string;
  /** A file only its owner can read; else the password comes from the environment. */
  passwordFile: string | null;
  /** Send this workstation's captures to the facility's workers instead of classifying them here. */
  sendCaptures?: boolean;
  /** The microscope this workstation's captures come from. */
  microscope?: string | null;
}

/** Which history the app shows: this workstation's own, or a facility's (every workstation's). */
export interface HistoryChoice {
  scope: 'workstation' | 'facility';
  /** The facility's address, without any password. */
  facility: string | null;
  /** Captures go to the facility's workers instead of this computer's model. */
  sendsCaptures: boolean;
}

/** Where this workstation sends its captures when it is a facility's producer. */
export interface FacilityProducer {
  database: FacilityDatabase;
  station: Station;
}

/**
 * The history the engine reads and reviews: the workstation's own store, or a facility's
 * PostgreSQL once connected. Capture intake stays local either way; only the history is shared.
 */
export class HistorySource {
  private facility: { database: FacilityDatabase; history: HistoryStore; address: FacilityAddress } | null = null;

  constructor(
    /** This workstation's own history: what it holds, whichever history is shown. */
    readonly local: HistoryStore,
    private readonly onProblem: (message: string) => void,
  ) {}

  get store(): HistoryStore {
    return this.facility?.history ?? this.local;
  }

  get choice(): HistoryChoice {
    return this.facility
      ? { scope: 'facility', facility: this.facility.database.connection.label, sendsCaptures: this.producer !== null }
      : { scope: 'workstation', facility: null, sendsCaptures: false };
  }

  /** The facility connected, as it was asked for; null while the workstation's own history is shown. */
  get address(): FacilityAddress | null {
    return this.facility?.address ?? null;
  }

  /** The facility this workstation sends its captures to, if Settings ask it to. */
  get producer(): FacilityProducer | null {
    if (!this.facility?.address.sendCaptures) return null;
    return {
      database: this.facility.database,
      station: { workstation: os.hostname(), microscope: this.facility.address.microscope ?? '' },
    };
  }

  /**
   * Opens the facility's history, checking that it can be reached and `facility init` set it up;
   * the one before stays in use if not, and the error says why in a sentence.
   */
  async connect(address: FacilityAddress): Promise<void> {
    let connection: FacilityConnection;
    try {
      connection = facilityConnection(address.address, {
        env: process.env,
        passwordFile: address.passwordFile ?? undefined,
      });
    } catch (error) {
      throw new ContractError('invalid-request', (error as Error).message);
    }
    const database = openFacilityDatabase(connection, {
      applicationName: 'MetaScope history',
      supervise: false,
      onError: onceAMinute(this.onProblem),
    });
    try {
      await database.withClient((client) => checkFacilitySchema(client, connection));
    } catch (error) {
      await database.close();
      const sentence = facilityUnusable(error, connection) ?? connection.redact((error as Error).message);
      throw new ContractError('unavailable', sentence);
    }
    await this.disconnect();
    this.facility = { database, history: postgresHistory(database.pool), address };
  }

  /** Back to the workstation's own history. */
  async disconnect(): Promise<void> {
    const open = this.facility;
    this.facility = null;
    await open?.database.close();
  }
}
