// Draws the demo fleet's timeline as SVG: one row per camera, bars for uploads (complete or
// interrupted), marks for wakes, sweep failures, commands, expiries and alerts.
// Usage: node timeline.js EVENTS.json OUT.svg, where EVENTS.json is an array of
// {camera, kind, t, t_end?, label} made by scripts/demo.sh from device_history, device_commands,
// device_images and device_alerts. Vega-Lite compiles the spec; Vega renders it without a browser.
import { readFileSync, writeFileSync } from 'node:fs';
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: node timeline.js EVENTS.json OUT.svg');
  process.exit(2);
}
const events = JSON.parse(readFileSync(input, 'utf8')) || [];
// three lanes per camera: what the camera did, its uploads, what the server did to it
const lanes = {
  'wake (HELLO)': '1 device', 'wake at manual time (HELLO)': '1 device',
  'upload complete': '2 upload', 'upload interrupted': '2 upload',
};
for (const e of events) e.lane = lanes[e.kind] || '3 server';
const bars = events.filter((e) => e.t_end);
const marks = events.filter((e) => !e.t_end);

const legend = [
  ['wake (HELLO)', '#4a6fa5', 'circle'],
  ['wake at manual time (HELLO)', '#9b5de5', 'circle'],
  ['upload complete', '#4c9f70', 'square'],
  ['upload interrupted', '#e4572e', 'square'],
  ['capture asked', '#4a6fa5', 'triangle-right'],
  ['backlog asked', '#2a9d8f', 'triangle-right'],
  ['sleep signal', '#343a40', 'triangle-left'],
  ['manual wake requested', '#9b5de5', 'diamond'],
  ['set_wake_schedule sent', '#9b5de5', 'triangle-right'],
  ['failed by sweep', '#d62828', 'cross'],
  ['retry_image sent', '#f77f00', 'triangle-right'],
  ['command sent', '#6c757d', 'triangle-right'],
  ['command expired', '#000000', 'cross'],
  ['alert raised', '#d62828', 'triangle-up'],
  ['alert resolved', '#2a9d8f', 'triangle-down'],
];
const kinds = legend.map((l) => l[0]);
const color = {
  field: 'kind', type: 'nominal', title: 'event',
  scale: { domain: kinds, range: legend.map((l) => l[1]) },
};
const y = { field: 'camera', type: 'nominal', title: null, sort: 'ascending' };
const yOffset = { field: 'lane', type: 'nominal', sort: 'ascending' };
const x = { field: 't', type: 'temporal', title: 'time (UTC)', axis: { format: '%H:%M:%S' } };

const spec = {
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  title: {
    text: 'pg_devicewake demo: the fleet over time',
    subtitle: 'per camera: wakes · uploads (METADATA to ACK_OK or to the sweep) · server actions',
    anchor: 'start',
  },
  width: 960,
  height: 34 * Math.max(1, new Set(events.map((e) => e.camera)).size),
  background: 'white',
  layer: [
    {
      // a rule with round caps: an upload of one second still shows
      data: { values: bars },
      mark: { type: 'rule', strokeWidth: 7, strokeCap: 'round' },
      encoding: { y, yOffset, x, x2: { field: 't_end' }, color, tooltip: [{ field: 'label' }] },
    },
    {
      data: { values: marks },
      mark: { type: 'point', filled: true, size: 60, opacity: 0.95 },
      encoding: {
        y, yOffset, x, color,
        shape: { field: 'kind', type: 'nominal', scale: { domain: kinds, range: legend.map((l) => l[2]) } },
        tooltip: [{ field: 'label' }],
      },
    },
  ],
  config: {
    axisY: { labelFontSize: 11, grid: true, gridColor: '#eeeeee' },
    legend: { orient: 'bottom', columns: 4, labelLimit: 240 },
  },
};

const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
const svg = await view.toSVG();
writeFileSync(output, svg);
console.log(`timeline: ${events.length} events -> ${output}`);
