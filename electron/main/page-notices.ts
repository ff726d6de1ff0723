/**
 * Notices for a window's page, held while the page cannot hear them. The preload asks for the
 * engine as soon as a page starts loading, before the page's own scripts have registered their
 * listener, so a notice sent then would reach no one. Pure, so it is tested.
 */
export class PageNotices<Notice> {
  private readonly held = new Map<number, Notice[]>();
  private readonly listening = new Set<number>();

  constructor(
    private readonly deliver: (windowId: number, notice: Notice) => void,
    /** A page that never finishes loading must not hold notices without end. */
    private readonly limit = 20,
  ) {}

  /** The window's page is (re)loading: hold its notices until it listens. */
  pageLoading(windowId: number): void {
    this.listening.delete(windowId);
    if (!this.held.has(windowId)) this.held.set(windowId, []);
  }

  /** The window's page has run its scripts: hand it what was held, in order. */
  pageListening(windowId: number): void {
    this.listening.add(windowId);
    const held = this.held.get(windowId) ?? [];
    this.held.delete(windowId);
    for (const notice of held) this.deliver(windowId, notice);
  }

  send(windowId: number, notice: Notice): void {
    if (this.listening.has(windowId)) {
      this.deliver(windowId, notice);
      return;
    }
    const held = this.held.get(windowId) ?? [];
    held.push(notice);
    if (held.length > this.limit) held.shift();
    this.held.set(windowId, held);
  }

  /** The window is gone. */
  forget(windowId: number): void {
    this.listening.delete(windowId);
    this.held.delete(windowId);
  }
}
