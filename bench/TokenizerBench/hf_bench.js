// Hugging Face tokenizers (npm 0.23.2) encode throughput, one string at a time, single thread.
// Usage: RAYON_RS_NUM_CPUS=1 TOKENIZERS_PARALLELISM=false node hf_bench.js <tokenizer.json> <corpus.json>
'use strict';
const fs = require('fs');
const path = require('path');
const cache = process.env.LLMSERVE_CACHE || path.join(require('os').homedir(), '.cache', 'llmserve');
const { Tokenizer } = require(path.join(cache, 'npm', 'node_modules', 'tokenizers'));

(async () => {
  const [tokenizerPath, corpusPath] = process.argv.slice(2);
  const docs = JSON.parse(fs.readFileSync(corpusPath, 'utf8'));
  const tok = Tokenizer.fromFile(tokenizerPath);
  const warm = Math.ceil(docs.length / 10);
  for (let i = 0; i < warm; i++) await tok.encode(docs[i], null, { addSpecialTokens: false });
  let tokens = 0;
  const start = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  for (const d of docs) tokens += (await tok.encode(d, null, { addSpecialTokens: false })).getIds().length;
  const cpu = process.cpuUsage(cpu0);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(JSON.stringify({ seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, tokens }));
})().catch((e) => { console.error(e); process.exit(1); });
