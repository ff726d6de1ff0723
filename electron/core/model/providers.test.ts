import { describe, expect, it } from 'vitest';
import { explainProviderFailure, missingHardware, providerOrder } from './providers.js';

/** A fake /dev: the device nodes that exist and the entries of /dev/dri. */
const machine = (devices: string[], dri: string[] = []) => ({
  exists: (file: string) => devices.includes(file),
  list: (folder: string) => (folder === '/dev/dri' ? dri : []),
});

describe('missingHardware', () => {
  it('says the NVIDIA GPU is missing for CUDA on Linux without /dev/nvidiactl', () => {
    const { exists, list } = machine([], ['card0', 'renderD128']);
    expect(missingHardware('cuda', 'linux', exists, list)).toBe('No NVIDIA GPU was found on this computer.');
  });

  it('lets CUDA and WebGPU try when an NVIDIA device node exists', () => {
    const { exists, list } = machine(['/dev/nvidiactl']);
    expect(missingHardware('cuda', 'linux', exists, list)).toBeNull();
    expect(missingHardware('webgpu', 'linux', exists, list)).toBeNull();
  });

  it('lets WebGPU try on any render node (Intel, AMD) without NVIDIA', () => {
    const { exists, list } = machine([], ['card1', 'renderD129']);
    expect(missingHardware('webgpu', 'linux', exists, list)).toBeNull();
  });

  it('says there is no graphics card for WebGPU with neither NVIDIA nor a render node', () => {
    for (const dri of [[], ['card0'], ['by-path']]) {
      const { exists, list } = machine([], dri);
      expect(missingHardware('webgpu', 'linux', exists, list)).toBe(
        'No graphics card was found on this computer.',
      );
    }
  });

  it('never stops the CPU, and cannot tell on other platforms', () => {
    const { exists, list } = machine([]);
    expect(missingHardware('cpu', 'linux', exists, list)).toBeNull();
    for (const platform of ['win32', 'darwin'] as const) {
      expect(missingHardware('cuda', platform, exists, list)).toBeNull();
      expect(missingHardware('webgpu', platform, exists, list)).toBeNull();
    }
  });
});

describe('providerOrder', () => {
  it('tries each platform’s GPUs first and the CPU last', () => {
    expect(providerOrder('win32')).toEqual(['cuda', 'dml', 'webgpu', 'cpu']);
    expect(providerOrder('darwin')).toEqual(['coreml', 'webgpu', 'cpu']);
    expect(providerOrder('linux')).toEqual(['cuda', 'webgpu', 'cpu']);
  });
});

describe('explainProviderFailure', () => {
  it('points to setup:cuda when the CUDA libraries are missing', () => {
    const message =
      'libcudart.so.12: cannot open shared object file: No such file or directory\n  at C++ frames';
    expect(explainProviderFailure('cuda', message)).toMatch(
      /CUDA libraries are not installed \(run `npm run setup:cuda`/,
    );
  });

  it('explains a missing WebGPU adapter', () => {
    expect(explainProviderFailure('webgpu', 'Failed to get a WebGPU adapter.')).toBe(
      'No WebGPU-capable graphics card was found (or its Vulkan driver is missing).',
    );
  });

  it('says a provider is not available on this platform', () => {
    expect(explainProviderFailure('dml', "Backend not found for 'dml'")).toBe(
      'GPU (DirectML) is not available on this platform.',
    );
  });

  it('otherwise keeps only the first line of the runtime’s message', () => {
    expect(explainProviderFailure('coreml', 'model too big\nstack line 1\nstack line 2')).toBe(
      'Apple Neural Engine / GPU (CoreML) could not start: model too big',
    );
  });
});
