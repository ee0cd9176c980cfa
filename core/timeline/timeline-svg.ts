import type { BarStatus, Timeline } from './timeline';

const ROW = 22;
const LABEL_WIDTH = 240;
const CHART_WIDTH = 720;
const TOP = 48;
const FILL: Record<BarStatus, string> = { SUCCEEDED: '#2e7d32', FAILED: '#c62828', RUNNING: '#1565c0' };
const GROUP_LABEL = { state: '', step: 'EMR step · ', chunk: 'Bronze · ' } as const;

/**
 * The timeline as a standalone SVG Gantt chart, in the manner of Airflow's Gantt view: one row per
 * state, step or chunk, time across, green succeeded, red failed (also hatched and labelled, so it
 * reads without colour), blue running. Every bar has a `<title>` with its exact times.
 */
export function timelineSvg(timeline: Timeline): string {
  const span = Math.max(1, timeline.end.getTime() - timeline.start.getTime());
  const x = (at: Date) => LABEL_WIDTH + ((at.getTime() - timeline.start.getTime()) / span) * CHART_WIDTH;
  const height = TOP + timeline.bars.length * ROW + 28 + timeline.notes.length * 16 + 12;
  const width = LABEL_WIDTH + CHART_WIDTH + 80;
  const rows = timeline.bars.map((bar, i) => {
    const y = TOP + i * ROW;
    const left = x(bar.start);
    const barWidth = Math.max(2, x(bar.end) - left);
    const seconds = Math.round((bar.end.getTime() - bar.start.getTime()) / 1000);
    const failed = bar.status === 'FAILED';
    return [
      `<g class="bar ${bar.group} ${bar.status.toLowerCase()}">`,
      `<title>${escape(bar.label)}: ${bar.status}, ${bar.start.toISOString()} → ${bar.end.toISOString()} (${seconds} s)</title>`,
      `<text x="${LABEL_WIDTH - 8}" y="${y + 15}" text-anchor="end">${escape(GROUP_LABEL[bar.group] + bar.label)}</text>`,
      `<rect x="${left.toFixed(1)}" y="${y + 3}" width="${barWidth.toFixed(1)}" height="${ROW - 6}" fill="${FILL[bar.status]}"${failed ? ' stroke="#000" stroke-dasharray="3 2"' : ''}/>`,
      failed ? `<rect x="${left.toFixed(1)}" y="${y + 3}" width="${barWidth.toFixed(1)}" height="${ROW - 6}" fill="url(#failed)"/>` : '',
      `<text x="${(left + barWidth + 4).toFixed(1)}" y="${y + 15}">${formatSeconds(seconds)}${failed ? ' FAILED' : bar.status === 'RUNNING' ? ' running' : ''}</text>`,
      '</g>',
    ].join('');
  });
  const axisY = TOP + timeline.bars.length * ROW + 4;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const at = new Date(timeline.start.getTime() + f * span);
    const tx = LABEL_WIDTH + f * CHART_WIDTH;
    return `<line x1="${tx}" y1="${TOP - 4}" x2="${tx}" y2="${axisY}" stroke="#ddd"/><text x="${tx}" y="${axisY + 14}" text-anchor="middle">${at.toISOString().slice(11, 19)}Z</text>`;
  });
  const notes = timeline.notes.map((note, i) => `<text x="8" y="${axisY + 34 + i * 16}" class="note">${escape(note)}</text>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    '<defs><pattern id="failed" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#fff" stroke-width="2"/></pattern></defs>',
    `<text x="8" y="20" font-size="15" font-weight="bold">${escape(timeline.title)}</text>`,
    `<text x="8" y="38" fill="#555">${timeline.start.toISOString()} → ${timeline.end.toISOString()} (${formatSeconds(Math.round(span / 1000))})</text>`,
    ...ticks,
    ...rows,
    ...notes,
    '</svg>',
    '',
  ].join('\n');
}

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  const m = Math.floor(seconds / 60);
  return m < 60 ? `${m}m ${seconds % 60}s` : `${Math.floor(m / 60)}h ${m % 60}m`;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
