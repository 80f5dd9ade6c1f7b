// Live dashboard: polls GET /console/api/stats and turns running totals into rates and windowed percentiles.
import { getJson } from './api.js';
import { LineChart } from './chart.js';
import { windowQuantile } from './histogram.js';

const pollMs = 1000;
const rateWindowMs = 5_000;
const latencyWindowMs = 15_000;
const history = 400;

const ms = v => v >= 100 ? v.toFixed(0) + ' ms' : v.toFixed(1) + ' ms';
const perSecond = v => v >= 100 ? v.toFixed(0) + '/s' : v.toFixed(1) + '/s';
const percent = v => (v * 100).toFixed(v < 0.1 ? 1 : 0) + '%';
const count = v => Number.isInteger(v) ? String(v) : v.toFixed(1);

export class Dashboard {
  constructor(root) {
    this.root = root;
    this.snapshots = [];
    this.cards = new Map();
    this.timer = null;
  }

  start() {
    if (this.timer) return;
    const tick = async () => {
      await this.poll();
      this.timer = setTimeout(tick, pollMs);
    };
    tick();
  }

  redraw() {
    for (const card of this.cards.values()) {
      for (const chart of card.charts.values()) chart.draw();
    }
  }

  async poll() {
    const error = this.root.querySelector('#dashboard-error');
    let stats;
    try {
      stats = await getJson('/console/api/stats');
      error.hidden = true;
    } catch (e) {
      error.hidden = false;
      error.textContent = 'Stats unavailable: ' + (e.message ?? e);
      return;
    }
    this.snapshots.push(stats);
    if (this.snapshots.length > history) this.snapshots.shift();
    this.root.querySelector('#gateway-status').textContent = stats.gateway.ready ? 'ready' : 'not ready';
    this.root.querySelector('#gateway-in-flight').textContent = String(stats.gateway.in_flight);
    this.root.querySelector('#stats-age').textContent = new Date(stats.unix_ms).toLocaleTimeString();
    this.renderHealth(stats);
    for (const model of stats.models) this.renderModel(stats, model);
    this.root.dataset.polls = String((Number(this.root.dataset.polls) || 0) + 1);
  }

  /** The newest snapshot at least `windowMs` older than `stats`, else the oldest one kept. */
  before(stats, windowMs) {
    let found = null;
    for (let i = this.snapshots.length - 1; i >= 0; i--) {
      const s = this.snapshots[i];
      if (s === stats) continue;
      found = s;
      if (stats.unix_ms - s.unix_ms >= windowMs) break;
    }
    return found;
  }

  renderHealth(stats) {
    const rows = [row(['gateway', '', '', { text: stats.gateway.status, cls: 'ok' }, '', '', '', '', 'now'])];
    for (const model of stats.models) {
      if (model.replicas.length === 0) {
        rows.push(row(['scheduler', model.model, '–', { text: 'no report', cls: 'stale' }, '', '', '', '', 'never']));
      }
      for (const r of model.replicas) {
        rows.push(row(['scheduler + workers', model.model, r.replica, { text: r.health, cls: r.health },
          `${r.workers_ready}/${r.stages_expected || '?'}`, r.running, r.waiting, percent(r.kv_cache_usage),
          `${(r.report_age_ms / 1000).toFixed(1)} s ago`]));
      }
    }
    // Tokenizer and detokenizer processes, from their heartbeats; one row per process start (instance).
    for (const s of stats.services ?? []) {
      const instance = s.shard_count > 0 ? `${s.instance} (shard ${s.shard}/${s.shard_count})` : s.instance;
      rows.push(row([s.service, s.model, instance, { text: s.health, cls: s.health }, '', '', '', '',
        `${(s.report_age_ms / 1000).toFixed(1)} s ago`]));
    }
    this.root.querySelector('#health tbody').replaceChildren(...rows);
  }

  card(model) {
    let card = this.cards.get(model);
    if (card) return card;
    const element = document.createElement('section');
    element.className = 'model-card';
    element.dataset.model = model;
    const title = document.createElement('h3');
    title.textContent = model;
    const counters = document.createElement('p');
    counters.className = 'counters';
    const latency = document.createElement('div');
    latency.className = 'charts';
    const replicas = document.createElement('div');
    element.append(title, counters, latency, replicas);
    this.root.querySelector('#models').append(element);
    card = { element, counters, latency, replicas, charts: new Map(), replicaBoxes: new Map() };
    const ttft = new LineChart(`${model}/ttft`, 'TTFT (gateway, last 15 s)', ['p50', 'p90', 'p99'], ms);
    const itl = new LineChart(`${model}/itl`, 'Inter-token latency (mean per request)', ['p50', 'p90', 'p99'], ms);
    card.charts.set('ttft', ttft).set('itl', itl);
    latency.append(ttft.element, itl.element);
    this.cards.set(model, card);
    return card;
  }

  replicaCharts(card, model, replica) {
    let box = card.replicaBoxes.get(replica);
    if (box) return box;
    const element = document.createElement('div');
    const heading = document.createElement('h4');
    heading.textContent = `replica ${replica}`;
    const grid = document.createElement('div');
    grid.className = 'charts';
    element.append(heading, grid);
    card.replicas.append(element);
    const key = `${model}/${replica}`;
    box = {
      requests: new LineChart(`${key}/requests`, 'Requests', ['running', 'waiting'], count),
      kv: new LineChart(`${key}/kv`, 'KV cache usage', ['used'], percent, { max: 1 }),
      tokens: new LineChart(`${key}/tokens`, 'Tokens/s', ['in', 'out'], perSecond),
      prefix: new LineChart(`${key}/prefix`, 'Prefix-cache hit rate', ['hits'], percent, { max: 1 }),
    };
    for (const [name, chart] of Object.entries(box)) {
      grid.append(chart.element);
      card.charts.set(`${replica}/${name}`, chart);
    }
    card.replicaBoxes.set(replica, box);
    return box;
  }

  renderModel(stats, model) {
    const card = this.card(model.model);
    const t = stats.unix_ms;
    card.counters.textContent = `${model.ready ? 'ready' : 'not ready'} · ${model.requests_finished} requests finished · ` +
      `${model.prompt_tokens} prompt tokens · ${model.generation_tokens} generated tokens`;
    card.element.dataset.requestsFinished = String(model.requests_finished);

    const older = this.before(stats, latencyWindowMs)?.models.find(m => m.model === model.model);
    const quantiles = (h, o) => [0.5, 0.9, 0.99].map(q => {
      const v = windowQuantile(q, h, o);
      return v === null ? null : v * 1000;
    });
    card.charts.get('ttft').push(t, quantiles(model.ttft_seconds, older?.ttft_seconds));
    card.charts.get('itl').push(t, quantiles(model.itl_seconds, older?.itl_seconds));

    const rateBase = this.before(stats, rateWindowMs);
    const latencyBase = this.before(stats, latencyWindowMs);
    for (const r of model.replicas) {
      const box = this.replicaCharts(card, model.model, r.replica);
      box.requests.push(t, [r.running, r.waiting]);
      box.kv.push(t, [r.kv_cache_usage]);
      const then = replicaOf(rateBase, model.model, r.replica);
      const seconds = then ? (stats.unix_ms - rateBase.unix_ms) / 1000 : 0;
      box.tokens.push(t, seconds > 0
        ? [nonNegative(r.prompt_tokens_total - then.prompt_tokens_total) / seconds,
           nonNegative(r.generation_tokens_total - then.generation_tokens_total) / seconds]
        : [null, null]);
      const early = replicaOf(latencyBase, model.model, r.replica);
      const queries = r.prefix_cache_queries - (early?.prefix_cache_queries ?? 0);
      const hits = r.prefix_cache_hits - (early?.prefix_cache_hits ?? 0);
      box.prefix.push(t, [queries > 0 ? hits / queries : null]);
    }
  }
}

function replicaOf(snapshot, model, replica) {
  return snapshot?.models.find(m => m.model === model)?.replicas.find(r => r.replica === replica) ?? null;
}

// A restarted scheduler starts its totals again from zero.
function nonNegative(v) {
  return v > 0 ? v : 0;
}

function row(cells) {
  const tr = document.createElement('tr');
  for (const cell of cells) {
    const td = document.createElement('td');
    if (cell !== null && typeof cell === 'object') {
      td.textContent = cell.text;
      td.className = cell.cls;
    } else {
      td.textContent = String(cell);
    }
    tr.append(td);
  }
  return tr;
}
