import { modifier } from 'ember-modifier';

/** While `active`, calls `close` on Escape, or on a click or focus outside the element (an open menu and its button). */
const dismiss = modifier((element: HTMLElement, [close, active]: [() => void, boolean]) => {
  if (!active) return;
  const outside = (e: Event) => {
    if (!element.contains(e.target as Node)) close();
  };
  const escape = (e: KeyboardEvent) => {
    if (e.key === 'Escape') close();
  };
  document.addEventListener('click', outside, true);
  document.addEventListener('focusin', outside);
  document.addEventListener('keydown', escape);
  return () => {
    document.removeEventListener('click', outside, true);
    document.removeEventListener('focusin', outside);
    document.removeEventListener('keydown', escape);
  };
});

export default dismiss;
