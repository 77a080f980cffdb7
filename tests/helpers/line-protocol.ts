/** A field of a line-protocol point, with the type its syntax gives it. */
export type LineField = { type: 'float' | 'integer'; value: number } | { type: 'string'; value: string } | { type: 'boolean'; value: boolean };

export interface LinePoint {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, LineField>;
  timestamp: string;
}

/**
 * Reads InfluxDB line protocol back into points, by its reference grammar
 * (docs.influxdata.com, "Line protocol": backslash escapes in names and tag values, double-quoted strings,
 * `i` integers, t/T/true/f/F/false booleans). Hand-written: no library parses it for Node, and the test
 * must compare what two writers sent, not trust either.
 */
export function parseLineProtocol(body: string): LinePoint[] {
  return body
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'))
    .map(parseLine);
}

function parseLine(line: string): LinePoint {
  let at = 0;
  /** Reads up to one of `stops` outside escapes (and outside quotes when `quoted`). */
  const read = (stops: string): string => {
    let out = '';
    while (at < line.length && !stops.includes(line[at]!)) {
      if (line[at] === '\\' && at + 1 < line.length) at++;
      out += line[at++];
    }
    return out;
  };
  const measurement = read(', ');
  const tags: Record<string, string> = {};
  while (line[at] === ',') {
    at++;
    const key = read('=');
    at++;
    tags[key] = read(', ');
  }
  if (line[at++] !== ' ') throw new Error(`no field set: ${line}`);
  const fields: Record<string, LineField> = {};
  for (;;) {
    const key = read('=');
    at++;
    if (line[at] === '"') {
      at++;
      let value = '';
      while (line[at] !== '"') {
        if (at >= line.length) throw new Error(`unterminated string: ${line}`);
        if (line[at] === '\\' && (line[at + 1] === '"' || line[at + 1] === '\\')) at++;
        value += line[at++];
      }
      at++;
      fields[key] = { type: 'string', value };
    } else {
      const raw = read(', ');
      if (/^-?\d+i$/.test(raw)) fields[key] = { type: 'integer', value: Number(raw.slice(0, -1)) };
      else if (/^(t|T|true|True|TRUE)$/.test(raw)) fields[key] = { type: 'boolean', value: true };
      else if (/^(f|F|false|False|FALSE)$/.test(raw)) fields[key] = { type: 'boolean', value: false };
      else if (Number.isFinite(Number(raw)) && raw !== '') fields[key] = { type: 'float', value: Number(raw) };
      else throw new Error(`field ${key}: ${raw} is no line-protocol value`);
    }
    if (line[at] !== ',') break;
    at++;
  }
  const timestamp = line.slice(at).trim();
  if (!/^-?\d+$/.test(timestamp)) throw new Error(`no timestamp: ${line}`);
  return { measurement, tags, fields, timestamp };
}
