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
const bars = events.filter((e) => e.t_end);
const marks = events.filter((e) => !e.t_end);

const kinds = ['upload complete', 'upload interrupted', 'wake (HELLO)', 'manual wake requested',
  'failed by sweep', 'retry_image sent', 'set_wake_schedule sent', 'command sent',
  'command acknowledged', 'command expired', 'alert raised', 'alert resolved'];
const colors = ['#4c9f70', '#e4572e', '#4a6fa5', '#9b5de5', '#d62828', '#f77f00', '#9b5de5',
  '#6c757d', '#2a9d8f', '#000000', '#d62828', '#2a9d8f'];
const shapes = ['square', 'square', 'circle', 'diamond', 'cross', 'triangle-up', 'diamond',
  'triangle-up', 'triangle-down', 'cross', 'stroke', 'stroke'];
const color = { field: 'kind', type: 'nominal', scale: { domain: kinds, range: colors }, title: 'event' };
const y = { field: 'camera', type: 'nominal', title: null, sort: 'ascending' };

const spec = {
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  title: { text: 'pg_devicewake demo: the fleet over time (UTC)', anchor: 'start' },
  width: 960,
  background: 'white',
  layer: [
    {
      data: { values: bars },
      mark: { type: 'bar', height: 10, opacity: 0.85 },
      encoding: {
        y, color,
        x: { field: 't', type: 'temporal', title: 'time', axis: { format: '%H:%M:%S' } },
        x2: { field: 't_end' },
        tooltip: [{ field: 'label' }],
      },
    },
    {
      data: { values: marks },
      mark: { type: 'point', filled: true, size: 70, opacity: 0.95 },
      encoding: {
        y, color,
        x: { field: 't', type: 'temporal' },
        shape: { field: 'kind', type: 'nominal', scale: { domain: kinds, range: shapes }, legend: null },
        tooltip: [{ field: 'label' }],
      },
    },
  ],
  config: { axisY: { labelFontSize: 11 }, legend: { orient: 'bottom', columns: 4 } },
};

const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
const svg = await view.toSVG();
writeFileSync(output, svg);
console.log(`timeline: ${events.length} events -> ${output}`);
