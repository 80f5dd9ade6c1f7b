// A small time-series line chart drawn on <canvas>. The points it draws are mirrored into data attributes
// (data-points, data-last, data-series) so tests and curious users can read what the chart shows.
const keep = 180;
const palette = ['#2563eb', '#dc6803', '#079455', '#7a5af8', '#d92d20'];

export class LineChart {
  /**
   * @param {string} key    stable id, written to data-chart
   * @param {string} title
   * @param {string[]} names one per series
   * @param {(v: number) => string} format axis and legend text
   * @param {{max?: number}} options a fixed top (1 for fractions), else the data's maximum
   */
  constructor(key, title, names, format, options = {}) {
    this.title = title;
    this.names = names;
    this.format = format;
    this.fixedMax = options.max;
    this.times = [];
    this.values = names.map(() => []);
    this.element = document.createElement('div');
    this.element.className = 'chart';
    this.canvas = document.createElement('canvas');
    this.canvas.dataset.chart = key;
    this.canvas.dataset.points = '0';
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', title);
    this.element.append(this.canvas);
  }

  /** Adds one point per series at time t (ms); null leaves a gap. */
  push(t, values) {
    this.times.push(t);
    values.forEach((v, i) => this.values[i].push(v === null || v === undefined || !Number.isFinite(v) ? null : v));
    if (this.times.length > keep) {
      this.times.shift();
      this.values.forEach(s => s.shift());
    }
    const last = this.values.map(s => s[s.length - 1]);
    this.canvas.dataset.points = String(this.times.length);
    this.canvas.dataset.last = JSON.stringify(Object.fromEntries(this.names.map((n, i) => [n, last[i]])));
    this.canvas.dataset.series = JSON.stringify(Object.fromEntries(this.names.map((n, i) => [n, this.values[i]])));
    this.draw();
  }

  draw() {
    const canvas = this.canvas;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (width === 0 || height === 0) return;
    const ratio = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    const g = canvas.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);

    const left = 52, right = 8, top = 36, bottom = 18;
    const plotW = width - left - right, plotH = height - top - bottom;
    const all = this.values.flat().filter(v => v !== null);
    const dataMax = all.length ? Math.max(...all) : 0;
    const max = this.fixedMax ?? niceCeiling(dataMax);

    g.font = '11px system-ui, sans-serif';
    g.fillStyle = '#1d2330';
    g.fillText(this.title, 4, 13);
    // Legend with the latest value of each series, on its own line under the title.
    let x = 4;
    this.names.forEach((name, i) => {
      const last = this.values[i][this.values[i].length - 1];
      const text = `${name} ${last === null || last === undefined ? '–' : this.format(last)}`;
      g.fillStyle = palette[i % palette.length];
      g.fillRect(x, 19, 8, 8);
      g.fillStyle = '#1d2330';
      g.fillText(text, x + 11, 27);
      x += g.measureText(text).width + 20;
    });

    g.strokeStyle = '#d8dce3';
    g.fillStyle = '#667085';
    g.lineWidth = 1;
    for (let i = 0; i <= 2; i++) {
      const y = top + plotH * (1 - i / 2);
      g.beginPath(); g.moveTo(left, y + .5); g.lineTo(left + plotW, y + .5); g.stroke();
      g.fillText(this.format(max * i / 2), 2, y + 4);
    }
    if (this.times.length === 0) return;
    const newest = this.times[this.times.length - 1];
    const span = Math.max(60_000, newest - this.times[0]);
    const xOf = t => left + plotW * (1 - (newest - t) / span);
    const yOf = v => top + plotH * (1 - (max > 0 ? Math.min(v, max) / max : 0));
    g.fillText(`${Math.round(span / 1000)} s`, left, height - 4);
    this.values.forEach((series, i) => {
      g.strokeStyle = palette[i % palette.length];
      g.lineWidth = 1.5;
      g.beginPath();
      let drawing = false;
      series.forEach((v, j) => {
        if (v === null) { drawing = false; return; }
        const px = xOf(this.times[j]), py = yOf(v);
        if (drawing) g.lineTo(px, py); else g.moveTo(px, py);
        drawing = true;
      });
      g.stroke();
    });
  }
}

function niceCeiling(value) {
  if (!(value > 0)) return 1;
  const power = Math.pow(10, Math.floor(Math.log10(value)));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (value <= step * power) return step * power;
  }
  return 10 * power;
}
