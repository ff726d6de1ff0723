import { describe, expect, it } from 'vitest';
import { decodeSlots, threadPoolEnv } from './threads.js';

describe('decodeSlots', () => {
  it('decodes half as many captures at once as there are cores, 4 to 8', () => {
    expect([1, 2, 4, 8, 10, 12, 16, 64].map((cores) => decodeSlots(cores))).toEqual([4, 4, 4, 4, 5, 6, 8, 8]);
  });
});

describe('threadPoolEnv', () => {
  it('gives the thread pool one thread per capture decoded at once, and keeps the rest of the environment', () => {
    expect(threadPoolEnv({ PATH: '/bin' }, 16)).toEqual({ PATH: '/bin', UV_THREADPOOL_SIZE: '8' });
    expect(threadPoolEnv({}, 2)).toEqual({ UV_THREADPOOL_SIZE: '4' });
  });

  it('keeps a size the user chose', () => {
    expect(threadPoolEnv({ UV_THREADPOOL_SIZE: '3' }, 16)).toEqual({ UV_THREADPOOL_SIZE: '3' });
  });
});
