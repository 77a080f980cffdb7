import { benchAgentResources } from './agent-resources.js';
import { benchBacklogDrain } from './backlog-drain.js';
import { benchDashboardsReports } from './dashboards-reports.js';
import { benchIngestThroughput } from './ingest-throughput.js';
import { benchModbusBus } from './modbus-bus.js';
import { benchMqttConnect } from './mqtt-connect.js';
import { benchOutbox } from './outbox.js';
import { benchReplug } from './replug.js';
import { benchStableToBon } from './stable-to-bon.js';
import { benchStableToStream } from './stable-to-stream.js';

/** `npm run bench`: every benchmark, figures printed (medians and tails, with a reference run). */
const benches: Record<string, () => Promise<void>> = {
  'stable-to-stream': benchStableToStream,
  'stable-to-bon': benchStableToBon,
  replug: benchReplug,
  'modbus-bus': benchModbusBus,
  'agent-resources': benchAgentResources,
  outbox: benchOutbox,
  'backlog-drain': benchBacklogDrain,
  'ingest-throughput': benchIngestThroughput,
  'dashboards-reports': benchDashboardsReports,
  'mqtt-connect': benchMqttConnect,
};

const only = process.argv.slice(2);
for (const [name, bench] of Object.entries(benches)) {
  if (only.length && !only.includes(name)) continue;
  console.log(`== ${name}`);
  await bench();
}
