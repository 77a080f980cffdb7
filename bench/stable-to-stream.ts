import { once } from 'node:events';
import { EventSource } from 'eventsource';
import mqtt from 'mqtt';
import { readCredentials } from '../runtime/credentials-file.js';
import { startTestStack } from '../tests/helpers/up-stack.js';
import { waitFor } from '../tests/helpers/wait.js';
import { fmt, summary } from './stats.js';

const WEIGHINGS = Number(process.env.BENCH_WEIGHINGS ?? 50);

/**
 * Time from the simulated scale's first stable frame to the weighing arriving on the dashboards' live
 * stream, over the whole real pipeline (TCP scale → agent → aedes → dashboards SSE). The reference run
 * in the same process is a bare MQTT round trip through the same broker: the ratio tells how much of
 * the latency is ours rather than the machine's.
 */
export async function benchStableToStream(): Promise<void> {
  const stack = await startTestStack({ simulation: { capture: 'continuous' } }, { attendant: false });
  const scale = stack.simulatedScale!;
  // The stream, like every dashboards route, needs the signed-in session cookie.
  const cookie = await stack.dashboardsCookie();
  const stream = new EventSource(`${stack.dashboardsUrl}/api/v1/live`, {
    fetch: (url, init) => fetch(url, { ...init, headers: { ...init?.headers, cookie } }),
  });
  const arrivals: { kg: number; at: number }[] = [];
  stream.addEventListener('weighing', (e) => arrivals.push({ kg: (JSON.parse(e.data) as { netKg: number }).netKg, at: performance.now() }));
  await new Promise<void>((resolve, reject) => {
    stream.onopen = () => resolve();
    stream.onerror = (e) => reject(new Error(`live stream: ${e.message ?? 'error'}`));
  });

  const edge: number[] = [];
  const endToEnd: number[] = [];
  try {
    for (let i = 0; i < WEIGHINGS; i++) {
      await waitFor('the agent to re-arm', () => stack.agent.devices.describeScales()[0]?.phase === 'armed');
      const kg = Math.round((1 + ((i * 7.3) % 25)) * 100) / 100;
      const stableAt = once(scale, 'firstStableFrame').then(() => performance.now());
      const takenAt = once(stack.agent.events, 'weighing').then(() => performance.now());
      scale.load(kg);
      const t0 = await stableAt;
      edge.push((await takenAt) - t0);
      const arrival = await waitFor('the weighing on the live stream', () => arrivals.find((a) => a.kg === kg && a.at >= t0));
      endToEnd.push(arrival.at - t0);
      arrivals.length = 0;
      scale.unload();
    }

    // Reference: publish → receive through the same broker, same machine, same moment.
    const creds = readCredentials(stack.credentialsFile)!.mqtt;
    const sub = await mqtt.connectAsync(stack.brokerUrl, { ...creds['dashboards']!, clientId: 'dashboards:bench' });
    const agentCreds = creds[Object.keys(creds).find((k) => k.startsWith('agent.'))!]!;
    const pub = await mqtt.connectAsync(stack.brokerUrl, { ...agentCreds, clientId: `${agentCreds.username}:bench` });
    const topic = 'tb/v1/ma-ressourcerie/comptoir/bench/live';
    await sub.subscribeAsync(topic, { qos: 1 });
    const mqttRtt: number[] = [];
    for (let i = 0; i < WEIGHINGS; i++) {
      const t0 = performance.now();
      const got = new Promise<void>((resolve) => sub.once('message', () => resolve()));
      await pub.publishAsync(topic, JSON.stringify({ i }), { qos: 1 });
      await got;
      mqttRtt.push(performance.now() - t0);
    }
    await Promise.all([sub.endAsync(), pub.endAsync()]);

    const e2e = summary(endToEnd);
    const ed = summary(edge);
    const ref = summary(mqttRtt);
    console.log(`\nstable frame → weighing on the live stream (${e2e.n} weighings, real pipeline)`);
    console.log(`  end to end     median ${fmt(e2e.median)}   p95 ${fmt(e2e.p95)}   min ${fmt(e2e.min)}   max ${fmt(e2e.max)}`);
    console.log(`  at the agent   median ${fmt(ed.median)}   p95 ${fmt(ed.p95)}   (stable frame written → weighing taken by the agent)`);
    console.log(`  reference      median ${fmt(ref.median)}   p95 ${fmt(ref.p95)}   (bare MQTT QoS 1 round trip, same broker)`);
    console.log(`  ratio end-to-end / reference (medians): ${(e2e.median / ref.median).toFixed(1)}`);
  } finally {
    stream.close();
    await stack.stop();
  }
}
