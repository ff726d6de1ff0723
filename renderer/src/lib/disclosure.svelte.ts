/**
 * A part of a screen the person can fold away, remembered on this machine. Until they choose, it
 * starts open only where the window has room for it.
 */
export class Disclosure {
  open = $state(false);

  constructor(
    private readonly key: string,
    roomyFrom = 900,
  ) {
    const saved = read(key);
    this.open = saved === null ? window.innerHeight >= roomyFrom : saved === 'open';
  }

  toggle(): void {
    this.open = !this.open;
    try {
      localStorage.setItem(this.key, this.open ? 'open' : 'closed');
    } catch {
      // Storage refused (private window, full disk): the choice lasts until the page is left.
    }
  }
}

function read(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}
