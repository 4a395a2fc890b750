/**
 * The backup benchmark's write load, in a process of its own so that it does not share the
 * primary's event loop: `node bench/backup/load.mjs <url> <rate> <seconds>` sends `INSERT`s paced
 * at `rate` a second (64 in flight at most) and prints, as one JSON line at the end, the txid of
 * each acknowledged write with `Date.now()` at its acknowledgement.
 */
const [url, rateText, secondsText] = process.argv.slice(2);
const rate = Number(rateText);
const total = rate * Number(secondsText);
const acked = [];
const inFlight = new Set();
const started = performance.now();
for (let i = 0; i < total; i++) {
  const wait = started + (i * 1000) / rate - performance.now();
  if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  if (inFlight.size >= 64) await Promise.race(inFlight);
  const write = fetch(`${url}/v1/execute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sql: 'INSERT INTO t (v) VALUES (randomblob(200))', args: [] }),
  })
    .then((response) => response.json())
    .then((/** @type {any} */ body) => {
      acked.push([Number.parseInt(body.position.slice(0, 16), 16), Date.now()]);
      inFlight.delete(write);
    });
  inFlight.add(write);
}
await Promise.all(inFlight);
console.log(JSON.stringify({ seconds: (performance.now() - started) / 1000, acked }));
