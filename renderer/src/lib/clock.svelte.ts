/** The time now, ticking each second: relative times ("12 s ago") stay true without an event. */
class Clock {
  now = $state(Date.now());

  constructor() {
    setInterval(() => (this.now = Date.now()), 1000);
  }
}

export const clock = new Clock();
