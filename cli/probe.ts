import type { Command } from 'commander';
import { listSerialPorts } from '../edge-agent/probe/list-ports.js';
import { formatModbusProbe, probeModbus } from '../edge-agent/probe/modbus-probe.js';
import { ProbeError } from '../edge-agent/probe/probe-error.js';
import { formatSniff, sniff } from '../edge-agent/probe/sniff.js';

/** A probe that could not run (bad option, port absent, no answer): one clear line, exit 1, no stack trace. */
function fail(err: unknown): never {
  if (!(err instanceof ProbeError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}

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

  probe
    .command('sniff')
    .description('listen to a scale or counter, recognise its protocol with the real drivers, and print a device config')
    .argument('<target>', 'serial port (/dev/serial/by-id/…, /dev/ttyUSB0) or host:port of a serial device server')
    .option('--baud <rate>', `baud rate, or "auto" to try 9600, 19200, 4800, 2400, 38400 (passive only)`, '9600')
    .option('--data-bits <bits>', '7 or 8', '8')
    .option('--parity <parity>', 'none, even or odd', 'none')
    .option('--stop-bits <bits>', '1 or 2', '1')
    .option('--seconds <s>', 'how long to listen', '5')
    .option('--active', 'also ask as MT-SICS and SMA even if the device streams')
    .option('--no-active', 'never write to the port (by default it asks only when nothing streamed)')
    .option('--active-seconds <s>', 'time given to each request/response protocol', '2')
    .option('--json', 'print JSON')
    .action(
      async (
        target: string,
        opts: { baud: string; dataBits: string; parity: string; stopBits: string; seconds: string; active?: boolean; activeSeconds: string; json?: boolean },
      ) => {
        let result;
        try {
          // Strings as typed: the probe's zod schema checks and converts them (the cast only admits free-form enums).
          result = await sniff(
            {
              target,
              baud: opts.baud === 'auto' ? 'auto' : opts.baud,
              dataBits: opts.dataBits,
              parity: opts.parity,
              stopBits: opts.stopBits,
              seconds: opts.seconds,
              activeSeconds: opts.activeSeconds,
              // Unset unless --active or --no-active was given (commander leaves it so when both are defined).
              ...(opts.active !== undefined ? { active: opts.active } : {}),
            } as Parameters<typeof sniff>[0],
            (line) => process.stderr.write(`${line}\n`),
          );
        } catch (err) {
          fail(err);
        }
        process.stdout.write(opts.json ? `${JSON.stringify(result, null, 2)}\n` : formatSniff(result));
        if (!result.recognised) process.exitCode = 1;
      },
    );

  probe
    .command('modbus')
    .description('read registers of a Modbus unit and show each one under every type and word order')
    .option('--port <path>', 'RTU on this serial port (RS-485 adapter)')
    .option('--baud <rate>', 'RTU baud rate', '9600')
    .option('--parity <parity>', 'RTU parity: none, even or odd', 'none')
    .option('--data-bits <bits>', 'RTU data bits', '8')
    .option('--stop-bits <bits>', 'RTU stop bits', '1')
    .option('--host <host>', 'Modbus TCP (or, with --rtu-over-tcp, a serial device server) at this address')
    .option('--tcp-port <port>', 'TCP port (Modbus TCP: 502 by default)')
    .option('--rtu-over-tcp', 'RTU frames carried raw by a serial device server (ser2net, Moxa in raw mode)')
    .option('--unit <id>', 'unit id (slave address)', '1')
    .option('--address <address>', 'first register: protocol address (0, 0x1000) or register notation (40001 holding, 30001 input)', '0')
    .option('--count <n>', 'how many registers (at most 125)', '10')
    .option('--kind <kind>', 'holding (FC03) or input (FC04); by default holding, then input if refused')
    .option('--timeout <ms>', 'how long to wait for the answer', '1000')
    .option('--expect <value>', 'what the display shows now (12.34): marks the cells that carry it')
    .option('--json', 'print JSON')
    .action(async (opts: Record<string, string | boolean | undefined>) => {
      let result;
      try {
        // Strings as typed: the probe's zod schema checks and converts them (the cast only admits free-form enums).
        result = await probeModbus({
          port: opts.port,
          baud: opts.baud,
          parity: opts.parity,
          dataBits: opts.dataBits,
          stopBits: opts.stopBits,
          host: opts.host,
          tcpPort: opts.tcpPort,
          rtuOverTcp: opts.rtuOverTcp === true,
          unit: opts.unit,
          address: opts.address,
          count: opts.count,
          kind: opts.kind,
          timeoutMs: opts.timeout,
          expect: opts.expect,
        } as Parameters<typeof probeModbus>[0]);
      } catch (err) {
        fail(err);
      }
      process.stdout.write(opts.json ? `${JSON.stringify(result, null, 2)}\n` : formatModbusProbe(result));
    });
}
