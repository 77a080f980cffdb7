import { readdir, readlink, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SerialPort } from 'serialport';

export interface PortInfo {
  /** The kernel name, e.g. /dev/ttyUSB0: it changes when the adapter is replugged. */
  path: string;
  /** The stable name to put in a config, when udev made one. */
  byId?: string;
  manufacturer?: string;
  serialNumber?: string;
  vendorId?: string;
  productId?: string;
}

const BY_ID = '/dev/serial/by-id';
/** The serial device names serialport itself recognises on Linux. */
const TTY_NAME = /^tty(USB|ACM|AMA|S|WCH|MFD|O|XRUSB)\d+$/;

/** /dev/serial/by-id/<name> → /dev/ttyUSB0, for every link udev made. */
async function byIdLinks(dir: string): Promise<Map<string, string>> {
  const links = new Map<string, string>();
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const link = join(dir, name);
    const target = await readlink(link).catch(() => undefined);
    if (target) links.set(resolve(dir, target), link);
  }
  return links;
}

/** Without udev: the tty devices present in /dev. Built-in ttyS ports are listed only if they exist. */
async function scanDev(devDir: string): Promise<string[]> {
  const names = await readdir(devDir).catch(() => [] as string[]);
  const found: string[] = [];
  for (const name of names.filter((n) => TTY_NAME.test(n))) {
    const path = join(devDir, name);
    if (await stat(path).then((s) => s.isCharacterDevice(), () => false)) found.push(path);
  }
  return found.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/**
 * The serial ports of this machine. serialport asks udevadm, which some machines lack (containers,
 * minimal images): then the ports are found by scanning /dev, and the listing never fails.
 */
export async function listSerialPorts(options: { devDir?: string; byIdDir?: string } = {}): Promise<{ ports: PortInfo[]; source: 'udev' | 'dev-scan' }> {
  const byId = await byIdLinks(options.byIdDir ?? BY_ID);
  const withById = (p: PortInfo): PortInfo => {
    const link = byId.get(p.path);
    return link ? { ...p, byId: link } : p;
  };
  if (!options.devDir) {
    try {
      const listed = await SerialPort.list();
      return {
        source: 'udev',
        ports: listed.map((p) =>
          withById({ path: p.path, manufacturer: p.manufacturer, serialNumber: p.serialNumber, vendorId: p.vendorId, productId: p.productId }),
        ),
      };
    } catch {
      // udevadm missing or failing: fall through to the /dev scan.
    }
  }
  const paths = new Set([...(await scanDev(options.devDir ?? '/dev')), ...byId.keys()]);
  return { source: 'dev-scan', ports: [...paths].map((path) => withById({ path })) };
}
