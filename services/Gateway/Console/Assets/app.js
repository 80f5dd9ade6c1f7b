// The console's entry point: tabs, the API key field, then the playground and the dashboard.
import { apiKey, setApiKey, getJson } from './api.js';
import { Playground } from './playground.js';
import { Dashboard } from './dashboard.js';

const views = ['playground', 'dashboard'];
const playground = new Playground(document.getElementById('playground'));
const dashboard = new Dashboard(document.getElementById('dashboard'));

function showView() {
  const wanted = views.includes(location.hash.slice(1)) ? location.hash.slice(1) : 'playground';
  for (const v of views) {
    document.getElementById(v).hidden = v !== wanted;
    document.getElementById('tab-' + v).classList.toggle('active', v === wanted);
  }
  // Charts size their backing store from their box, which is 0 while hidden.
  if (wanted === 'dashboard') dashboard.redraw();
}

const keyInput = document.getElementById('api-key');
keyInput.value = apiKey();
keyInput.addEventListener('change', () => {
  setApiKey(keyInput.value.trim());
  playground.loadModels();
});

async function start() {
  window.addEventListener('hashchange', showView);
  showView();
  let publicModels = [];
  try {
    const stats = await getJson('/console/api/stats');
    document.getElementById('api-key-field').hidden = !stats.api_key_required;
    document.body.dataset.apiKeyRequired = String(stats.api_key_required);
    publicModels = stats.models.map(m => m.model);
  } catch {
    // Older gateways or a disabled stats endpoint: keep the key field visible.
    document.getElementById('api-key-field').hidden = false;
  }
  playground.fallbackModels = publicModels;
  await playground.loadModels();
  dashboard.start();
  document.body.dataset.ready = 'true';
}

start();
