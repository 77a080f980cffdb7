import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listSerialPorts } from './list-ports.js';

const CLI = join(import.meta.dirname, '../../dist/cli/trebuchet.js');

describe('serial port listing', () => {
  it('finds ports by scanning /dev and names their stable by-id link', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tb-dev-'));
    const byIdDir = join(root, 'serial', 'by-id');
    mkdirSync(byIdDir, { recursive: true });
    writeFileSync(join(root, 'ttyUSB3'), ''); // a plain file, as a character device cannot be made here
    symlinkSync('../../ttyUSB3', join(byIdDir, 'usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0'));
    const { source, ports } = await listSerialPorts({ devDir: root, byIdDir });
    expect(source).toBe('dev-scan');
    expect(ports).toEqual([{ path: join(root, 'ttyUSB3'), byId: join(byIdDir, 'usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0') }]);
  });

  it('does not fail on a machine without udevadm', () => {
    // A PATH holding node alone: serialport's own listing cannot spawn udevadm.
    const bin = mkdtempSync(join(tmpdir(), 'tb-noudev-'));
    symlinkSync(process.execPath, join(bin, 'node'));
    const res = spawnSync(join(bin, 'node'), [CLI, 'probe', 'ports', '--json'], { encoding: 'utf8', env: { PATH: bin } });
    expect(res.status, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ source: 'dev-scan', ports: expect.any(Array) });
  });
});
