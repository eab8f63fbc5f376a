#!/usr/bin/env node
// Run one MQTT.js scenario against a broker and print what happened as JSON on stdout.
// Usage: node scenario.js '{"scenario": "pubsub", "url": "mqtt://127.0.0.1:1883", "protocolVersion": 5, ...}'
// or an array of such objects.
// The Python tests (tests/interop/test_mqttjs.py) decide what is right; this script only reports.
'use strict';

const mqtt = require('mqtt');

const TIMEOUT_MS = 40000;

function connect(spec, clientId, extra = {}) {
  return mqtt.connectAsync(spec.url, {
    protocolVersion: spec.protocolVersion,
    clientId,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    keepalive: 30,
    ...extra,
  });
}

function describe(topic, payload, packet) {
  return {
    topic,
    payload: payload.toString('utf8'),
    qos: packet.qos,
    retain: packet.retain,
    properties: packet.properties ? plain(packet.properties) : null,
  };
}

function plain(properties) {
  const out = {};
  for (const [key, value] of Object.entries(properties)) {
    out[key] = Buffer.isBuffer(value) ? { hex: value.toString('hex') } : value;
  }
  return out;
}

// Collect messages until `count` arrived, or `quietMs` passed with none (for "nothing more" checks).
function collect(client, count, quietMs) {
  const received = [];
  let finished = false;
  return new Promise((resolve) => {
    const finish = () => {
      finished = true;
      resolve(received);
    };
    let timer = setTimeout(finish, quietMs);
    client.on('message', (topic, payload, packet) => {
      if (finished) return;
      received.push(describe(topic, payload, packet));
      clearTimeout(timer);
      timer = setTimeout(finish, received.length >= count ? 300 : quietMs);
    });
  });
}

function decodeProperties(properties) {
  if (!properties) return undefined;
  const out = { ...properties };
  if (out.correlationData) out.correlationData = Buffer.from(out.correlationData, 'hex');
  return out;
}

async function pubsub(spec) {
  const subscriber = await connect(spec, `${spec.id}-sub`);
  const publisher = await connect(spec, `${spec.id}-pub`);
  const granted = await subscriber.subscribeAsync(spec.topic, { qos: spec.qos });
  const done = collect(subscriber, spec.count, 3000);
  // Windows of 10 unawaited publishes: ordering is checked with several messages in flight, while staying
  // under any Receive Maximum the broker announces (MQTT.js itself does not enforce it [MQTT-3.3.4-7]).
  for (let start = 0; start < spec.count; start += 10) {
    const window = [];
    for (let i = start; i < Math.min(start + 10, spec.count); i += 1) {
      window.push(publisher.publishAsync(spec.topic, `${i}`, { qos: spec.qos, properties: decodeProperties(spec.properties) }));
    }
    await Promise.all(window);
  }
  const received = await done;
  await Promise.all([subscriber.endAsync(), publisher.endAsync()]);
  return { granted: granted.map((g) => g.qos), received };
}

async function retained(spec) {
  const publisher = await connect(spec, `${spec.id}-pub`);
  await publisher.publishAsync(spec.topic, 'kept', { qos: 1, retain: true });
  const first = await connect(spec, `${spec.id}-first`);
  const firstDone = collect(first, 1, 2000);
  await first.subscribeAsync(spec.topic, { qos: 1 });
  const beforeClear = await firstDone;
  await publisher.publishAsync(spec.topic, '', { qos: 1, retain: true });
  const second = await connect(spec, `${spec.id}-second`);
  const secondDone = collect(second, 1, 700);
  await second.subscribeAsync(spec.topic, { qos: 1 });
  const afterClear = await secondDone;
  await Promise.all([publisher.endAsync(), first.endAsync(), second.endAsync()]);
  return { beforeClear, afterClear };
}

async function will(spec) {
  const watcher = await connect(spec, `${spec.id}-watcher`);
  await watcher.subscribeAsync(spec.topic, { qos: 1 });
  const done = collect(watcher, 1, spec.abnormal ? 3000 : 800);
  const willProperties = spec.protocolVersion === 5 ? { userProperties: { reason: 'lost' } } : undefined;
  const dying = await connect(spec, `${spec.id}-dying`, {
    will: { topic: spec.topic, payload: Buffer.from('offline'), qos: 1, retain: false, properties: willProperties },
  });
  if (spec.abnormal) {
    dying.stream.destroy(); // the socket closes without DISCONNECT
  } else {
    await dying.endAsync(); // DISCONNECT first
  }
  const received = await done;
  dying.end(true);
  await watcher.endAsync();
  return { received };
}

const SCENARIOS = { pubsub, retained, will };

async function runOne(spec) {
  try {
    return await SCENARIOS[spec.scenario](spec);
  } catch (error) {
    return { error: String(error && error.stack ? error.stack : error) };
  }
}

// argv[2] is one scenario object or an array of them; an array runs concurrently (one Node start for many
// tests) and prints an array of reports in the same order.
async function main() {
  const input = JSON.parse(process.argv[2]);
  const timer = setTimeout(() => {
    process.stdout.write(JSON.stringify({ error: 'scenarios timed out' }) + '\n');
    process.exit(1);
  }, TIMEOUT_MS);
  const result = Array.isArray(input) ? await Promise.all(input.map(runOne)) : await runOne(input);
  clearTimeout(timer);
  // Exit only once the pipe took everything: a report is often larger than one 64 KB pipe buffer.
  process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(0));
}

main();
