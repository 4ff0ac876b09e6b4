import { modifier } from 'ember-modifier';
import {
  ArcElement, BarController, BarElement, CategoryScale, Chart, DoughnutController, Legend, LinearScale, Tooltip,
  type ChartConfiguration,
} from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, DoughnutController, ArcElement, Tooltip, Legend);

/** Colours that stay distinguishable in greyscale print (light to dark), with a dark outline. */
export const PALETTE = ['#0d6efd', '#6f42c1', '#d63384', '#fd7e14', '#198754', '#20c997', '#0dcaf0', '#6c757d', '#ffc107', '#212529', '#adb5bd'];

/**
 * Draws a Chart.js chart on the canvas and redraws it for print (paper is wider than the screen
 * column). Chart.js styles through CSSOM only, which the strict CSP allows.
 */
const chart = modifier((canvas: HTMLCanvasElement, [config]: [ChartConfiguration]) => {
  const instance = new Chart(canvas, { ...config, options: { ...config.options, devicePixelRatio: 2, animation: false, responsive: true, maintainAspectRatio: false } });
  const resize = () => instance.resize();
  window.addEventListener('beforeprint', resize);
  window.addEventListener('afterprint', resize);
  return () => {
    window.removeEventListener('beforeprint', resize);
    window.removeEventListener('afterprint', resize);
    instance.destroy();
  };
});

export default chart;

/** Axis titles, so every chart names what its axes count and in which unit. */
export function axisTitles(x: string, y: string) {
  const title = (text: string) => ({ title: { display: true, text } });
  return { x: title(x), y: title(y) };
}
