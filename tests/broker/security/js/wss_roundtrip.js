#!/usr/bin/env node
// MQTT.js over WebSockets over TLS: connect with the node's CA, subscribe, publish, receive.
// Usage: node wss_roundtrip.js REPO URL CAFILE TOPIC
// Prints {"connected": bool, "received": [payload...], "error": text|null} as JSON; the test decides.
'use strict';

const fs = require('fs');
const path = require('path');

const [repo, url, cafile, topic] = process.argv.slice(2);
const mqtt = require(path.join(repo, 'tests/interop/js/node_modules/mqtt'));
const result = { connected: false, received: [], error: null };

function finish(client) {
  process.stdout.write(JSON.stringify(result) + '\n');
  if (client) client.end(true);
  process.exit(0);
}

const client = mqtt.connect(url, {
  ca: fs.readFileSync(cafile),
  rejectUnauthorized: true,
  protocolVersion: 5,
  reconnectPeriod: 0,
  connectTimeout: 5000,
});
const timer = setTimeout(() => { result.error = 'timeout'; finish(client); }, 10000);

client.on('error', (error) => { result.error = String(error); clearTimeout(timer); finish(client); });
client.on('message', (received, payload) => {
  result.received.push(payload.toString('utf8'));
  clearTimeout(timer);
  finish(client);
});
client.on('connect', () => {
  result.connected = true;
  client.subscribe(topic, { qos: 1 }, (error) => {
    if (error) { result.error = String(error); finish(client); return; }
    client.publish(topic, 'over wss', { qos: 1 });
  });
});
