import { describe, expect, it } from 'vitest';
import { everyUsbClass, protectedUsbClasses } from './usb-classes.js';

describe('protected USB classes', () => {
  it('protects every class, never the empty list that would open them all', () => {
    const answer = protectedUsbClasses({ protectedClasses: [] });
    expect(answer.length).toBeGreaterThan(0);
    expect([...answer].sort()).toEqual([...everyUsbClass].sort());
  });

  it("keeps Electron's defaults and names each class once", () => {
    const answer = protectedUsbClasses({ protectedClasses: ['audio', 'hid', 'video'] });
    expect(answer).toEqual(expect.arrayContaining(['audio', 'hid', 'video']));
    expect(new Set(answer).size).toBe(answer.length);
    expect(answer).toHaveLength(everyUsbClass.length);
  });
});
