// Calls to the gateway from the page: the API key (kept for this tab only) and OpenAI-shaped errors.
const keyStorage = 'llmserve.apiKey';

export function apiKey() {
  return sessionStorage.getItem(keyStorage) ?? '';
}

export function setApiKey(value) {
  if (value) sessionStorage.setItem(keyStorage, value); else sessionStorage.removeItem(keyStorage);
}

export function headers(json) {
  const h = {};
  if (json) h['Content-Type'] = 'application/json';
  const key = apiKey();
  if (key) h['Authorization'] = 'Bearer ' + key;
  return h;
}

/** An error the gateway answered: HTTP status plus OpenAI's {error: {message, type, code}}. */
export class ApiError extends Error {
  constructor(status, message, type, code) {
    super(message);
    this.status = status;
    this.type = type;
    this.code = code;
  }

  toString() {
    const kind = [this.type, this.code].filter(Boolean).join(', ');
    return `${this.status ? this.status + ' ' : ''}${kind ? '(' + kind + ') ' : ''}${this.message}`;
  }
}

/** Turns a failed response into an ApiError, reading the OpenAI error body when there is one. */
export async function errorOf(response) {
  let text = '';
  try { text = await response.text(); } catch { /* the body is optional */ }
  try {
    const e = JSON.parse(text).error;
    if (e && e.message) return new ApiError(response.status, e.message, e.type, e.code);
  } catch { /* not JSON */ }
  return new ApiError(response.status, text || response.statusText || 'request failed');
}

export async function getJson(path) {
  const response = await fetch(path, { headers: headers(false), cache: 'no-store' });
  if (!response.ok) throw await errorOf(response);
  return response.json();
}
