import sharp from 'sharp';
import type { CapturePixels } from '../capture/decode.js';
import { scalingTable } from '../capture/intensity.js';
import type { ModelIdentity } from '../model/classifier.js';
import { loadDetectorFolder, type DetectorManifest } from '../model/manifest.js';
import { intensityWindow } from '../model/preprocess.js';
import type { ProviderName } from '../model/providers.js';
import type { SessionOptions } from '../model/session.js';
import { openSessionThread, type SessionThread } from '../model/session-thread.js';
import { decodeCells, scaleCells, type FoundCell, type OutputMaps } from './decoders.js';

/** What the detector found in one field, in the field's own pixels. */
export interface Detection {
  cells: FoundCell[];
  /** Instance labels at the detector's scale (0 = background), where its decoder has them. */
  labels: Int32Array | null;
  mapWidth: number;
  mapHeight: number;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** A cell finder: its manifest, and one session on its own thread that maps a field to cells. */
export class Detector {
  private constructor(
    readonly manifest: DetectorManifest,
    readonly identity: ModelIdentity,
    readonly folder: string,
    private readonly loaded: SessionThread,
  ) {}

  static async open(folder: string, options: SessionOptions = {}): Promise<Detector> {
    const model = await loadDetectorFolder(folder);
    const loaded = await openSessionThread(model, options);
    const { manifest } = model;
    const identity = {
      id: manifest.id,
      version: manifest.version,
      sha256: manifest.onnx.sha256,
      name: manifest.name,
    };
    return new Detector(manifest, identity, folder, loaded);
  }

  get provider(): ProviderName {
    return this.loaded.provider;
  }

  /** Finds the cells of a grey field decoded at full resolution. */
  async find(field: CapturePixels): Promise<Detection> {
    const { input, output } = this.manifest;
    const width = Math.max(1, Math.round(field.width * input.scale));
    const height = Math.max(1, Math.round(field.height * input.scale));
    const scaled = input.scale === 1 ? field : await resizeGrey(field, width, height);
    const padded = { width: roundUp(width, input.multipleOf), height: roundUp(height, input.multipleOf) };
    const tensor = this.tensorOf(scaled, padded);
    const { values } = await this.loaded.run(tensor, [1, 1, padded.height, padded.width]);
    const channelCount = values.length / (padded.width * padded.height);
    const maps: OutputMaps = { width, height, channels: [] };
    for (let c = 0; c < channelCount; c++) {
      const plane = new Float32Array(width * height);
      const base = c * padded.width * padded.height;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const v = values[base + y * padded.width + x]!;
          plane[y * width + x] = output.activation === 'sigmoid' ? sigmoid(v) : v;
        }
      }
      maps.channels.push(plane);
    }
    const decoded = decodeCells(output, maps);
    return {
      cells: scaleCells(decoded.cells, field.width / width, field.width, field.height),
      labels: decoded.labels,
      mapWidth: width,
      mapHeight: height,
    };
  }

  /** The network's input: the manifest's intensity scaling, zeros in the padding. */
  private tensorOf(pixels: CapturePixels, padded: { width: number; height: number }): Float32Array {
    const { preprocessing } = this.manifest;
    const table = scalingTable(
      pixels.bitDepth,
      intensityWindow(preprocessing.intensity, pixels),
      preprocessing.mean[0],
      preprocessing.std[0],
    );
    const tensor = new Float32Array(padded.width * padded.height);
    for (let y = 0; y < pixels.height; y++) {
      for (let x = 0; x < pixels.width; x++) {
        tensor[y * padded.width + x] = table[pixels.data[y * pixels.width + x] as number]!;
      }
    }
    return tensor;
  }

  async close(): Promise<void> {
    await this.loaded.release();
  }
}

const roundUp = (value: number, multiple: number): number => Math.ceil(value / multiple) * multiple;

/** Resizes grey pixels at their own bit depth, bilinear and antialiased as captures are for models. */
async function resizeGrey(pixels: CapturePixels, width: number, height: number): Promise<CapturePixels> {
  const sixteen = pixels.bitDepth === 16;
  const { data } = await sharp(pixels.data, {
    raw: { width: pixels.width, height: pixels.height, channels: 1 },
    limitInputPixels: false,
  })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .toColourspace(sixteen ? 'grey16' : 'b-w')
    .raw({ depth: sixteen ? 'ushort' : 'uchar' })
    .toBuffer({ resolveWithObject: true });
  return {
    width,
    height,
    channels: 1,
    bitDepth: pixels.bitDepth,
    data: sixteen
      ? new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2)
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}
