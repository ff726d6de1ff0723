import { existsSync, readdirSync } from 'node:fs';

/** Execution providers in the lab's words: which hardware runs the model. */
export const providerNames = ['cpu', 'cuda', 'dml', 'coreml', 'webgpu'] as const;
export type ProviderName = (typeof providerNames)[number];
export type ProviderPreference = 'auto' | ProviderName;

export const providerLabels: Record<ProviderName, string> = {
  cpu: 'CPU',
  cuda: 'NVIDIA GPU (CUDA)',
  dml: 'GPU (DirectML)',
  coreml: 'Apple Neural Engine / GPU (CoreML)',
  webgpu: 'GPU (WebGPU)',
};

export const isGpuProvider = (provider: ProviderName): boolean => provider !== 'cpu';

/** The order `auto` tries on each platform: fastest first, the CPU always last. */
export function providerOrder(platform: NodeJS.Platform = process.platform): ProviderName[] {
  switch (platform) {
    case 'win32':
      return ['cuda', 'dml', 'webgpu', 'cpu'];
    case 'darwin':
      return ['coreml', 'webgpu', 'cpu'];
    default:
      return ['cuda', 'webgpu', 'cpu'];
  }
}

/** Turns the runtime's message for a provider that would not start into a sentence a lab can act on. */
export function explainProviderFailure(provider: ProviderName, message: string): string {
  const first = message.split('\n')[0]?.trim() ?? message;
  if (provider === 'cuda' && /shared library|libcudart|libcublas|providers_shared|cuda/i.test(first)) {
    return 'The NVIDIA GPU could not be used: its CUDA libraries are not installed (run `npm run setup:cuda` on a connected machine) or there is no NVIDIA GPU.';
  }
  if (provider === 'webgpu' && /adapter/i.test(first)) {
    return 'No WebGPU-capable graphics card was found (or its Vulkan driver is missing).';
  }
  if (/backend not found|no available backend/i.test(first)) {
    return `${providerLabels[provider]} is not available on this platform.`;
  }
  return `${providerLabels[provider]} could not start: ${first}`;
}

/**
 * Whether this machine can have the hardware a provider needs, checked without starting it: on
 * Linux a GPU shows up as a device node. Starting a provider with no device costs half a second and
 * fills the terminal with driver messages. Null means "cannot tell, try it".
 */
export function missingHardware(
  provider: ProviderName,
  platform: NodeJS.Platform = process.platform,
  exists: (path: string) => boolean = existsSync,
  list: (folder: string) => string[] = (folder) => {
    try {
      return readdirSync(folder);
    } catch {
      return [];
    }
  },
): string | null {
  if (platform !== 'linux') return null;
  const nvidia = exists('/dev/nvidiactl');
  if (provider === 'cuda' && !nvidia) return 'No NVIDIA GPU was found on this computer.';
  if (provider === 'webgpu' && !nvidia && !list('/dev/dri').some((name) => name.startsWith('renderD'))) {
    return 'No graphics card was found on this computer.';
  }
  return null;
}
