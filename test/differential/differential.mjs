// Differential test of devicewake.fn_calculate_next_wake_time against croner (an independent
// cron library with time-zone support): thousands of random expressions, zones and instants from
// a fixed seed. Our side runs in the live cluster through psql (one query for all cases).
// Where docs/design.md §3's DST rules differ from croner's (croner skips the second occurrence of a
// repeated wall time even for wildcard schedules, and reads some gap times differently), cases
// within a day of a transition are checked instead against an oracle of the §3 rules built from
// croner's matcher (in UTC, on wall-clock times) and Intl's offsets, and counted.
import { spawnSync } from 'node:child_process';
import { Cron } from 'croner';

const CASES = Number(process.env.DW_DIFF_CASES || 10000);
const DAY = 86400;
const ZONES = ['UTC', 'America/New_York', 'Europe/London', 'Australia/Sydney', 'Australia/Lord_Howe',
  'Asia/Kathmandu', 'America/Sao_Paulo', 'Europe/Berlin', 'Asia/Tokyo', 'America/Los_Angeles',
  'Pacific/Auckland', 'Asia/Kolkata', 'America/St_Johns', 'Pacific/Chatham', 'America/Santiago'];
const FROM = Date.UTC(2001, 0, 1) / 1000;
const TO = Date.UTC(2030, 0, 1) / 1000;

// mulberry32: a small deterministic PRNG
let seed = 0x5eed2025;
function random() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));
const pick = (items) => items[int(0, items.length - 1)];
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

// One field of the dialect both implementations share. `star` allows `*` and `*/s` forms.
function numericField(min, max, star, names) {
  const value = () => {
    const v = int(min, max);
    return names && random() < 0.3 ? names[v - min] : String(v);
  };
  const kind = random();
  if (star && kind < 0.15) return '*';
  if (star && kind < 0.35) return `*/${int(2, Math.max(2, Math.floor((max - min + 1) / 2)))}`;
  if (kind < 0.6) return value();
  if (kind < 0.75) {
    const a = int(min, max); const b = int(a, max);
    return `${a}-${b}`;
  }
  if (kind < 0.85) {
    const a = int(min, max); const b = int(a, max);
    return `${a}-${b}/${int(1, 5)}`;
  }
  const n = int(2, 4);
  return Array.from({ length: n }, value).join(',');
}

function generateExpression() {
  const minute = numericField(0, 59, true);
  const hour = numericField(0, 23, true);
  const month = random() < 0.7 ? '*' : numericField(1, 12, true, MONTHS);
  let dom = '*';
  let dow = '*';
  const days = random();
  if (days < 0.35) {
    // both '*'
  } else if (days < 0.55) {
    dom = random() < 0.15 ? 'L' : numericField(1, 28, false);
  } else if (days < 0.8) {
    const r = random();
    if (r < 0.15) dow = `${int(0, 6)}#${int(1, 5)}`;
    else if (r < 0.25) dow = `${int(0, 6)}L`;
    else dow = random() < 0.3 ? pick(DAYS) : numericField(0, 6, false);
  } else {
    dom = numericField(1, 28, false);
    dow = numericField(0, 6, false);
  }
  const ours = [minute, hour, dom, month, dow].join(' ');
  const theirs = [minute, hour, dom, month, dow.replace(/^(\d)L$/, '$1#L')].join(' ');
  return { ours, theirs, wildcard: minute.startsWith('*') || hour.startsWith('*') };
}

// ---- offsets and transitions from Intl (node's ICU time-zone data)
const formatters = new Map();
function offsetAt(zone, t) {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric',
      day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(zone, f);
  }
  const p = {};
  for (const part of f.formatToParts(new Date(t * 1000))) p[part.type] = part.value;
  const local = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) / 1000;
  return local - t;
}
function transitionsOf(zone) {
  const list = [];
  const step = DAY;
  let previous = offsetAt(zone, FROM - 400 * DAY);
  list.initial = previous;
  for (let t = FROM - 400 * DAY + step; t <= TO + 800 * DAY; t += step) {
    const offset = offsetAt(zone, t);
    if (offset !== previous) {
      let lo = t - step; let hi = t;  // offset(lo) = previous, offset(hi) = offset
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (offsetAt(zone, mid) === previous) lo = mid; else hi = mid;
      }
      list.push({ at: hi, before: previous, after: offset });
      previous = offset;
    }
  }
  return list;
}

// The offset in force at t from a zone's transition table (binary search).
function tableOffset(transitions, t) {
  let lo = 0; let hi = transitions.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (transitions[mid].at <= t) lo = mid + 1; else hi = mid;
  }
  return lo === 0 ? transitions.initial : transitions[lo - 1].after;
}

// ---- the §3 oracle: wall-clock matches from croner (UTC = wall clock), mapped to instants
function oracle(c, t0, transitions, horizon) {
  const matcher = new Cron(c.theirs, { timezone: 'UTC', legacyMode: true });
  let best = null;
  const minOffset = Math.min(...transitions.zoneOffsets);
  const maxOffset = Math.max(...transitions.zoneOffsets);
  // u > t0 and wall = u + offset(u) (or u + offset before a gap): wall > t0 + minOffset
  let w = new Date((t0 + minOffset - 60) * 1000);
  for (;;) {
    w = matcher.nextRun(w);
    if (!w) break;
    const wall = w.getTime() / 1000;
    if (wall > horizon || (best !== null && wall - maxOffset > best)) break;
    // instants u with u + offset(u) = wall
    const instants = transitions.zoneOffsets.map((o) => wall - o)
      .filter((u) => tableOffset(transitions, u) === wall - u).sort((a, b) => a - b);
    let found = [];
    if (instants.length === 0) {
      // a gap: read with the offset in force just before the transition
      const tr = transitions.find((x) => x.before < x.after && wall >= x.at + x.before && wall < x.at + x.after);
      if (tr) found = [wall - tr.before];
    } else {
      found = c.wildcard ? instants : [instants[0]];
    }
    for (const u of found) if (u > t0 && (best === null || u < best)) best = u;
  }
  return best;
}

// ---- cases: half of the instants anywhere, half within a day of one of the zone's transitions
const started = Date.now();
const transitionsByZone = new Map(ZONES.map((z) => {
  const all = transitionsOf(z);
  const list = all.filter((tr) => tr.at >= FROM - 400 * DAY);
  list.initial = all.initial;
  list.zoneOffsets = [...new Set([list.initial, ...list.flatMap((tr) => [tr.before, tr.after])])];
  return [z, list];
}));
const transitionSeconds = (Date.now() - started) / 1000;
const cases = [];
for (let i = 0; i < CASES; i++) {
  const c = generateExpression();
  c.id = i;
  c.zone = pick(ZONES);
  const transitions = transitionsByZone.get(c.zone);
  const nearby = random();
  if (transitions.length && nearby < 0.3) c.t0 = pick(transitions).at + int(-DAY, DAY);
  else if (transitions.length && nearby < 0.6) c.t0 = pick(transitions).at + int(-3 * 3600, 2 * 3600);
  else c.t0 = int(FROM, TO);
  if (random() < 0.5) c.t0 -= c.t0 % 60;
  cases.push(c);
}

// ---- our side: one query in the live cluster
const values = cases.map((c) => `(${c.id}, ${c.t0}, '${c.ours}', '${c.zone}')`).join(',\n');
const sql = `SET timezone = 'UTC';
SELECT id, floor(extract(epoch FROM devicewake.fn_calculate_next_wake_time(to_timestamp(t0), expr, zone)))::bigint
FROM (VALUES ${values}) AS v(id, t0, expr, zone) ORDER BY id;`;
const psql = spawnSync('psql', ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-F', ' '], { input: sql, encoding: 'utf8', maxBuffer: 1 << 28 });
if (psql.status !== 0) {
  console.error(psql.stderr);
  process.exit(2);
}
const sqlSeconds = (Date.now() - started) / 1000;
const ours = new Map();
for (const line of psql.stdout.trim().split('\n')) {
  const [id, at] = line.split(' ');
  ours.set(+id, at === '' || at === undefined ? null : +at);
}

// ---- compare
const near = (transitions, t) => t !== null && transitions.some((tr) => Math.abs(tr.at - t) <= DAY);
const transitionCases = cases.filter((c) => transitionsByZone.get(c.zone).length).length;
let croner = 0; let oracleMs = 0;
let agree = 0; let dstAgree = 0; let dstDiffer = 0; let oracleChecked = 0; let failures = 0;
for (const c of cases) {
  const mine = ours.get(c.id);
  const t1 = Date.now();
  const run = new Cron(c.theirs, { timezone: c.zone, legacyMode: true }).nextRun(new Date(c.t0 * 1000));
  croner += Date.now() - t1;
  const theirs = run ? Math.floor(run.getTime() / 1000) : null;
  const transitions = transitionsByZone.get(c.zone);
  const nearDst = near(transitions, c.t0) || near(transitions, mine) || near(transitions, theirs);
  if (!nearDst) {
    if (mine === theirs) { agree++; continue; }
    failures++;
    if (failures <= 20) console.log(`MISMATCH ${JSON.stringify(c)} ours=${iso(mine)} croner=${iso(theirs)}`);
    continue;
  }
  if (mine === theirs) dstAgree++; else dstDiffer++;
  // near a transition: check ours against the §3 oracle over the next days
  const horizon = c.t0 + 3 * DAY;
  const t2 = Date.now();
  const expected = oracle(c, c.t0, transitions, horizon + DAY);
  oracleMs += Date.now() - t2;
  oracleChecked++;
  const ok = expected !== null && expected <= horizon ? mine === expected : (mine === null || mine > horizon - DAY);
  if (!ok) {
    failures++;
    if (failures <= 20) console.log(`DST RULE VIOLATION ${JSON.stringify(c)} ours=${iso(mine)} oracle=${iso(expected)} croner=${iso(theirs)}`);
  }
}
function iso(t) { return t === null ? 'NULL' : new Date(t * 1000).toISOString(); }

console.log(`cases: ${CASES}; away from DST transitions: ${agree} agree with croner; ` +
  `within a day of a transition: ${dstAgree + dstDiffer} (${dstAgree} agree with croner, ${dstDiffer} differ by ` +
  `the §3 rules), all ${oracleChecked} checked against the §3 oracle; failures: ${failures} ` +
  `(${((Date.now() - started) / 1000).toFixed(1)} s, of which ${transitionSeconds.toFixed(1)} s finding transitions, ${sqlSeconds.toFixed(1)} s until SQL done, croner ${(croner / 1000).toFixed(1)} s, oracle ${(oracleMs / 1000).toFixed(1)} s)`);
process.exit(failures === 0 ? 0 : 1);
