import { modifier } from 'ember-modifier';

/**
 * Sets an element's width through CSSOM. A style="…" attribute would be an inline style, which
 * the strict Content-Security-Policy (style-src 'self') refuses; CSSOM writes are allowed.
 */
const widthPercent = modifier((element: HTMLElement, [percent]: [number]) => {
  element.style.width = `${Math.max(0, Math.min(100, percent))}%`;
});

export default widthPercent;
