// Throughput of the Node SDK (not part of the tests): the cost of `track` alone, then
// events/s delivered end to end to a real server (TRAILMARK_BIN, TLS, durable acks).
//   TRAILMARK_BIN=../../.build/release/trailmark node bench/throughput.js [events]
import { Trailmark } from '../src/index.js';
import { RealServer } from '../test/real-server.js';

const events = Number(process.argv[2] ?? 200_000);

function trackOnly() {
  const c = new Trailmark({ host: 'http://127.0.0.1:1', key: 'sk_live_x', maxQueueSize: events, flushAt: 1000, flushInterval: 3_600_000 });
  c.sender.sendEvents = async () => ({ error: null, kept: [] }); // measure queueing only
  const start = process.hrtime.bigint();
  for (let i = 0; i < events; i++) c.track({ event: 'page', anonymousId: `a${i % 1000}`, properties: { i, plan: 'pro', ok: true } });
  const ns = Number(process.hrtime.bigint() - start);
  console.log(`track(): ${(ns / events).toFixed(0)} ns/event (${Math.round(events / (ns / 1e9)).toLocaleString('en')} events/s), queue only`);
}

async function endToEnd() {
  if (!process.env.TRAILMARK_BIN) return console.log('end to end: set TRAILMARK_BIN');
  const server = new RealServer();
  const key = server.createKey('secret', 'bench');
  await server.start();
  try {
    for (const batch of [100, 1000]) {
      const c = new Trailmark({ host: server.origin, key, ca: server.caFile(), flushAt: batch, maxBatchEvents: batch, maxQueueSize: events });
      const start = process.hrtime.bigint();
      for (let i = 0; i < events; i++) c.track({ event: 'page', anonymousId: `a${i % 1000}`, properties: { i, plan: 'pro', ok: true } });
      await c.flush();
      const s = Number(process.hrtime.bigint() - start) / 1e9;
      console.log(`end to end, batches of ${batch}: ${Math.round(events / s).toLocaleString('en')} events/s (${c.stats.sent} sent, ${c.stats.batches} batches, ${c.droppedEvents} dropped)`);
      await c.shutdown();
    }
  } finally {
    await server.stop();
  }
}

trackOnly();
await endToEnd();
