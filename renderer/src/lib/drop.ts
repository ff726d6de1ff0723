import type { RequestOutput } from '$contract/api.js';
import { ask } from './ask.svelte.js';
import { engine } from './engine.js';
import { notices } from './notices.svelte.js';

type ImportResult = RequestOutput<'captures.import'>;

/** Keeps each message over the socket to a size the browser and the server handle comfortably. */
const batchBytes = 32 * 1024 * 1024;
/** The contract's limit for one file's base64 text, in bytes before encoding. */
const maxFileBytes = 150_000_000;

/** Files dropped onto the window go into the inbox, where the watcher classifies them. */
export async function importDropped(files: File[]): Promise<void> {
  if (files.length === 0) return;
  const pathForFile = engine.pathForFile;
  const results = pathForFile
    ? [await ask('captures.importPaths', { paths: files.map(pathForFile) })]
    : await sendBytes(files);
  const written = results.flatMap((r) => r?.written ?? []);
  const refused = results.flatMap((r) => r?.refused ?? []);
  if (written.length > 0) {
    notices.add(
      'info',
      `${written.length === 1 ? '1 capture' : `${written.length} captures`} added to the inbox; classifying now.`,
    );
  }
  for (const problem of refused) notices.add('warning', `${problem.name}: ${problem.reason}`);
}

async function sendBytes(files: File[]): Promise<(ImportResult | undefined)[]> {
  const results: (ImportResult | undefined)[] = [];
  const tooLarge = files.filter((file) => file.size > maxFileBytes);
  if (tooLarge.length > 0) {
    results.push({
      written: [],
      refused: tooLarge.map((file) => ({
        name: file.name,
        reason: 'too large to send through the browser; copy it into the inbox folder instead.',
      })),
    });
  }
  let batch: { name: string; dataBase64: string }[] = [];
  let size = 0;
  for (const file of files.filter((f) => f.size <= maxFileBytes)) {
    if (batch.length > 0 && (size + file.size > batchBytes || batch.length === 500)) {
      results.push(await ask('captures.import', { files: batch }));
      batch = [];
      size = 0;
    }
    const dataBase64 = await base64Of(file).catch(() => null);
    if (dataBase64 === null) {
      results.push({
        written: [],
        refused: [
          {
            name: file.name,
            reason: 'could not be read (a folder cannot be dropped here; add it under Settings).',
          },
        ],
      });
      continue;
    }
    batch.push({ name: file.name, dataBase64 });
    size += file.size;
  }
  if (batch.length > 0) results.push(await ask('captures.import', { files: batch }));
  return results;
}

function base64Of(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}
