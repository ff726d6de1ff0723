import { readFile } from 'node:fs/promises';
import { readCaptureInfo } from '../../electron/core/capture/decode.js';
import { loadModelFolder } from '../../electron/core/model/manifest.js';
import { Preprocessor } from '../../electron/core/model/preprocess.js';
import { decodeSlots } from '../../electron/core/threads.js';
import { inParallel, seconds } from './stats.js';

/**
 * Images per second of reading, decoding and preprocessing alone, with every core busy: the
 * ceiling of the pipeline's decode stage for this model's input, as many at once as the app decodes.
 */
export async function measureDecodeOnly(modelFolder: string, files: string[], concurrency = decodeSlots()): Promise<number> {
  const { manifest } = await loadModelFolder(modelFolder);
  const preprocessor = await Preprocessor.open(manifest, modelFolder);
  const decode = async (file: string) => {
    const bytes = await readFile(file);
    await preprocessor.prepare(bytes, await readCaptureInfo(bytes));
  };
  await decode(files[0]!); // warm-up: first sharp call loads libvips' loaders
  const start = process.hrtime.bigint();
  await inParallel(files, concurrency, decode);
  return files.length / seconds(start);
}
