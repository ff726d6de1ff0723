/** The screens, addressed by the URL hash so Back works and a link can be shared on this machine. */
export type Route =
  | { screen: 'live' }
  | { screen: 'capture'; sha256: string }
  | { screen: 'history' }
  | { screen: 'plate'; folderId: number }
  | { screen: 'review' }
  | { screen: 'models' }
  | { screen: 'compare' }
  | { screen: 'settings' }
  | { screen: 'notices' };

const simple = new Set(['live', 'history', 'review', 'models', 'compare', 'settings', 'notices']);

function parse(hash: string): Route {
  const [screen = '', arg = ''] = hash.replace(/^#\/?/, '').split('/');
  if (screen === 'capture' && /^[0-9a-f]{64}$/.test(arg)) return { screen, sha256: arg };
  if (screen === 'plate' && /^\d{1,9}$/.test(arg)) return { screen, folderId: Number(arg) };
  return simple.has(screen) ? ({ screen } as Route) : { screen: 'live' };
}

export function hrefOf(route: Route): string {
  if (route.screen === 'capture') return `#/capture/${route.sha256}`;
  if (route.screen === 'plate') return `#/plate/${route.folderId}`;
  return `#/${route.screen}`;
}

class Router {
  route = $state<Route>(parse(location.hash));

  constructor() {
    window.addEventListener('hashchange', () => (this.route = parse(location.hash)));
  }

  go(route: Route): void {
    location.hash = hrefOf(route);
  }
}

export const router = new Router();
