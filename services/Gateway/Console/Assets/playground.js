// Chat playground: streams /v1/chat/completions (SSE) and reports time to first token and tokens/s per answer.
import { headers, errorOf, getJson, ApiError } from './api.js';
import { sseData } from './sse.js';

export class Playground {
  constructor(root) {
    this.root = root;
    this.conversation = [];
    this.fallbackModels = [];
    this.abort = null;
    this.el = id => root.querySelector('#' + id);
    this.el('prompt-form').addEventListener('submit', e => { e.preventDefault(); this.send(); });
    this.el('prompt').addEventListener('keydown', e => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); this.send(); }
    });
    this.el('stop-button').addEventListener('click', () => this.abort?.abort());
    this.el('clear').addEventListener('click', () => {
      this.conversation = [];
      this.el('messages').replaceChildren();
      this.showError(null);
    });
  }

  async loadModels() {
    const select = this.el('model');
    const previous = select.value;
    let ids;
    try {
      ids = (await getJson('/v1/models')).data.map(m => m.id);
      this.showError(null);
    } catch (e) {
      // Without a valid key /v1/models answers 401; still list the models the public stats name.
      this.showError(e);
      ids = this.fallbackModels;
    }
    select.replaceChildren(...ids.map(id => new Option(id, id)));
    if (ids.includes(previous)) select.value = previous;
    select.dataset.loaded = String(ids.length);
  }

  showError(error) {
    const box = this.el('error');
    box.hidden = !error;
    box.textContent = error ? (error instanceof ApiError ? error.toString() : 'Error: ' + (error.message ?? error)) : '';
  }

  body(messages) {
    const number = (id, parse) => {
      const text = this.el(id).value.trim();
      return text === '' ? undefined : parse(text);
    };
    const stop = this.el('stop').value.split('\n').filter(s => s.length > 0);
    const request = {
      model: this.el('model').value,
      messages,
      stream: true,
      stream_options: { include_usage: true },
      temperature: number('temperature', parseFloat),
      top_p: number('top-p', parseFloat),
      max_tokens: number('max-tokens', v => parseInt(v, 10)),
      seed: number('seed', v => parseInt(v, 10)),
      stop: stop.length ? stop : undefined,
    };
    return JSON.stringify(request);
  }

  addMessage(role, text) {
    const item = document.createElement('li');
    item.className = 'message ' + role;
    const label = document.createElement('div');
    label.className = 'role';
    label.textContent = role;
    const body = document.createElement('div');
    body.className = 'text';
    body.textContent = text;
    item.append(label, body);
    this.el('messages').append(item);
    return item;
  }

  async send() {
    const promptBox = this.el('prompt');
    const text = promptBox.value.trim();
    if (!text || this.abort) return;
    this.showError(null);
    const system = this.el('system').value.trim();
    const messages = [...(system ? [{ role: 'system', content: system }] : []), ...this.conversation, { role: 'user', content: text }];
    const userItem = this.addMessage('user', text);
    const item = this.addMessage('assistant', '');
    item.dataset.state = 'waiting';
    const out = item.querySelector('.text');
    const stats = document.createElement('div');
    stats.className = 'stats';
    item.append(stats);
    promptBox.value = '';
    this.abort = new AbortController();
    this.el('send').disabled = true;
    this.el('stop-button').disabled = false;

    const started = performance.now();
    let firstAt = null;
    let chunks = 0;
    let usage = null;
    let finish = null;
    let answer = '';
    try {
      const response = await fetch('/v1/chat/completions', {
        method: 'POST', headers: headers(true), body: this.body(messages), signal: this.abort.signal,
      });
      if (!response.ok) throw await errorOf(response);
      item.dataset.state = 'streaming';
      for await (const data of sseData(response, this.abort.signal)) {
        if (data === '[DONE]') break;
        const chunk = JSON.parse(data);
        if (chunk.error) throw new ApiError(0, chunk.error.message, chunk.error.type, chunk.error.code);
        if (chunk.usage) usage = chunk.usage;
        for (const choice of chunk.choices ?? []) {
          const piece = choice.delta?.content ?? '';
          if (piece) {
            if (firstAt === null) firstAt = performance.now();
            chunks++;
            answer += piece;
            out.textContent = answer;
          }
          if (choice.finish_reason) finish = choice.finish_reason;
        }
      }
      const ended = performance.now();
      const tokens = usage?.completion_tokens ?? chunks;
      const ttftMs = firstAt === null ? null : firstAt - started;
      // Decode rate: tokens after the first over the time after the first (the first token's wait is TTFT).
      const decodeSeconds = firstAt === null ? 0 : (ended - firstAt) / 1000;
      const tokensPerSecond = tokens > 1 && decodeSeconds > 0 ? (tokens - 1) / decodeSeconds : tokens / ((ended - started) / 1000);
      item.dataset.ttftMs = ttftMs === null ? '' : ttftMs.toFixed(1);
      item.dataset.tokensPerSecond = tokensPerSecond.toFixed(2);
      item.dataset.completionTokens = String(tokens);
      item.dataset.chunks = String(chunks);
      stats.textContent = [
        `TTFT ${ttftMs === null ? '–' : ttftMs.toFixed(0) + ' ms'}`,
        `${tokensPerSecond.toFixed(1)} tokens/s`,
        `${tokens} tokens`,
        usage ? `${usage.prompt_tokens} prompt tokens` : null,
        finish ? `finish: ${finish}` : null,
      ].filter(Boolean).join(' · ');
      item.dataset.state = 'done';
      this.conversation.push({ role: 'user', content: text }, { role: 'assistant', content: answer });
    } catch (e) {
      if (e.name === 'AbortError') {
        item.dataset.state = 'stopped';
        stats.textContent = 'stopped';
      } else {
        item.dataset.state = 'error';
        this.showError(e);
        if (!answer) { item.remove(); userItem.remove(); promptBox.value = text; }
      }
    } finally {
      this.abort = null;
      this.el('send').disabled = false;
      this.el('stop-button').disabled = true;
    }
  }
}
