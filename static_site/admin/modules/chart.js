// @ts-check
/* The Overview's chart: invites per day as stacked bars (succeeded, then failed on top), drawn in CSS pixels
   (viewBox = the rendered size) so its labels stay readable at every width. Forced-colors mode restyles it in CSS. */
import { html, svg } from '../vendor/lit-html.js';
import { dayLabel, dayLongLabel, formatDay, formatNumber, niceCeiling, sumDays } from './format.js';

const FALLBACK_WIDTH = 600;
const FALLBACK_HEIGHT = 176;

/**
 * @param {{ date: string, succeeded: number, failed: number }[]} days
 * @param {Element | null} drawn the chart as drawn last time, to measure
 */
export function chartTemplate(days, drawn) {
  const summary = sumDays(days);
  const label = `Invites per day over the last ${days.length} days: ${formatNumber(summary.succeeded)} succeeded, ${formatNumber(summary.failed)} failed`;
  const box = drawn?.getBoundingClientRect();
  const width = Math.round(box?.width ?? 0) || FALLBACK_WIDTH;
  const height = Math.round(box?.height ?? 0) || FALLBACK_HEIGHT;
  return html`<svg id="daily-chart" class="chart" role="img" aria-label=${label} focusable="false"
    viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">${days.length ? bars(days, width, height) : ''}</svg>`;
}

/**
 * @param {{ date: string, succeeded: number, failed: number }[]} days
 * @param {number} width
 * @param {number} height
 */
function bars(days, width, height) {
  const top = niceCeiling(Math.max(0, ...days.map((day) => day.succeeded + day.failed)));
  const topLabel = formatNumber(top);
  const padLeft = Math.max(20, topLabel.length * 7 + 10);
  const padRight = 4;
  const padTop = 8;
  const plotWidth = Math.max(10, width - padLeft - padRight);
  const plotHeight = Math.max(10, height - padTop - 24);
  const baseline = padTop + plotHeight;
  const slot = plotWidth / days.length;
  const barWidth = Math.max(2, Math.min(28, slot * 0.68));
  const axis = (
    /** @type {number} */ x,
    /** @type {number} */ y,
    /** @type {string} */ anchor,
    /** @type {string} */ text,
  ) => svg`<text x=${x} y=${y} text-anchor=${anchor} class="axis-label">${text}</text>`;
  const bar = (/** @type {number} */ x, /** @type {number} */ y, /** @type {number} */ h, /** @type {string} */ cls) =>
    svg`<rect x=${x.toFixed(2)} y=${y.toFixed(2)} width=${barWidth.toFixed(2)} height=${h.toFixed(2)} rx="1.5" class=${cls}></rect>`;
  return svg`
    <line x1=${padLeft} x2=${width - padRight} y1=${padTop + 0.5} y2=${padTop + 0.5} class="grid-line grid-line-top"></line>
    <line x1=${padLeft} x2=${width - padRight} y1=${baseline + 0.5} y2=${baseline + 0.5} class="grid-line"></line>
    ${axis(padLeft - 6, padTop + 4, 'end', topLabel)}
    ${axis(padLeft - 6, baseline + 4, 'end', '0')}
    ${days.map((day, index) => {
      const x = padLeft + index * slot;
      const barX = x + (slot - barWidth) / 2;
      const okHeight = day.succeeded ? Math.max(2, (plotHeight * day.succeeded) / top) : 0;
      const failHeight = day.failed ? Math.max(2, (plotHeight * day.failed) / top) : 0;
      return svg`<g class="day">
        <title>${formatDay(day.date, dayLongLabel)}: ${day.succeeded} succeeded, ${day.failed} failed</title>
        <rect x=${x} y=${padTop} width=${slot} height=${plotHeight} class="day-hit"></rect>
        ${okHeight ? bar(barX, baseline - okHeight, okHeight, 'bar-ok') : ''}
        ${failHeight ? bar(barX, baseline - okHeight - failHeight, failHeight, 'bar-fail') : ''}
      </g>`;
    })}
    ${axis(padLeft, height - 6, 'start', formatDay(days[0].date, dayLabel))}
    ${axis(width - padRight, height - 6, 'end', formatDay(days[days.length - 1].date, dayLabel))}`;
}
