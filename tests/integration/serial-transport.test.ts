import { once } from 'node:events';
import { mkdtempSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SerialTransport } from '../../edge-agent/transport/serial-transport.js';
import { createPtyPair, type PtyPair } from '../../firmware-sim/common/pty-pair.js';

describe('serial transport', () => {
  let pty: PtyPair;
  let dir: string;
  beforeAll(async () => {
    pty = await createPtyPair();
    dir = mkdtempSync(join(tmpdir(), 'tb-byid-'));
  });
  afterAll(async () => {
    await pty?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('notices its device node vanishing even when the driver reports nothing, and reopens when it is back', async () => {
    // A /dev/serial/by-id-like link: removing it is what udev does on unplug; the pty behind stays open and silent.
    const link = join(dir, 'usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0');
    symlinkSync(pty.devicePath, link);
    const t = new SerialTransport({ type: 'serial', path: link, baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 });
    const closes: string[] = [];
    t.on('close', (reason) => closes.push(reason));
    t.start();
    await once(t, 'open');
    const removedAt = performance.now();
    unlinkSync(link);
    await once(t, 'close');
    expect(performance.now() - removedAt).toBeLessThan(1000);
    expect(closes).toEqual(['disconnected: device removed']);
    expect(t.isOpen).toBe(false);

    symlinkSync(pty.devicePath, link);
    await once(t, 'open');
    expect(t.isOpen).toBe(true);
    await t.stop();
  });
});
