import type { USBProtectedClassesHandlerHandlerDetails } from 'electron';

/**
 * USB device classes a page may never reach. Electron's setUSBProtectedClassesHandler takes the
 * classes to protect: an empty list would open every class, so MetaScope protects all of them.
 * Pure (a type import only), so it is tested.
 */
type UsbClass = USBProtectedClassesHandlerHandlerDetails['protectedClasses'][number];

export const everyUsbClass = [
  'audio',
  'audio-video',
  'hid',
  'mass-storage',
  'smart-card',
  'video',
  'wireless',
] as const satisfies readonly UsbClass[];

/** Fails to compile when Electron adds a class the list above does not name. */
export const namesEveryUsbClass: [Exclude<UsbClass, (typeof everyUsbClass)[number]>] extends [never]
  ? true
  : never = true;

/** The handler's answer: Electron's default protected classes, plus every other class. */
export function protectedUsbClasses(details: USBProtectedClassesHandlerHandlerDetails): UsbClass[] {
  return [...new Set<UsbClass>([...details.protectedClasses, ...everyUsbClass])];
}
