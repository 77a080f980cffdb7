import type { Command } from 'commander';
import { listSerialPorts } from '../edge-agent/probe/list-ports.js';

/** `trebuchet probe …`: tools to find what is plugged in and how it speaks, before writing a config. */
export function registerProbe(program: Command): void {
  const probe = program.command('probe').description('find serial ports, recognise a scale protocol, read Modbus registers');

  probe
    .command('ports')
    .description('list the serial ports of this machine, with the stable /dev/serial/by-id name to use in a config')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { ports, source } = await listSerialPorts();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ source, ports }, null, 2)}\n`);
        return;
      }
      if (source === 'dev-scan') process.stdout.write('(udevadm absent: ports found by scanning /dev)\n');
      if (ports.length === 0) {
        process.stdout.write('Aucun port série trouvé / no serial port found. Is the USB adapter plugged in?\n');
        return;
      }
      for (const p of ports) {
        const ids = [p.manufacturer, p.vendorId && p.productId ? `${p.vendorId}:${p.productId}` : undefined, p.serialNumber].filter(Boolean).join('  ');
        process.stdout.write(`${p.path.padEnd(16)} ${p.byId ? `config: ${p.byId}` : ''}${ids ? `  (${ids})` : ''}\n`);
      }
    });
}
