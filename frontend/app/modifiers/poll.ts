import { modifier } from 'ember-modifier';

/**
 * Asks `tick` now and again `ms` after each answer, until it says it is done (true) or the element
 * leaves the page: polling lives exactly as long as what shows its result. `tick` handles its own
 * errors; one that throws ends the polling.
 */
const poll = modifier((_element: Element, [tick, ms]: [() => Promise<boolean>, number]) => {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = async () => {
    if (stopped) return;
    const done = await tick().catch(() => true);
    if (!stopped && !done) timer = setTimeout(() => void run(), ms);
  };
  // Started after this render, so what `tick` reads is not tracked by the modifier (it would restart it).
  void Promise.resolve().then(run);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
});

export default poll;
