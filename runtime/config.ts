import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { z } from 'zod';

/** A configuration that cannot be used; the message names the key, the value and what is allowed. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: invalid configuration\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function keyPath(path: PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(top level)';
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let cur = root;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

function show(value: unknown): string {
  const s = JSON.stringify(value);
  return s === undefined ? 'nothing' : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** The keys a strict object at `path` accepts, found by walking the schema. */
function allowedKeys(schema: z.ZodType, path: PropertyKey[]): string[] {
  let cur: z.ZodType | undefined = schema;
  for (const p of [...path, null]) {
    while (cur) {
      const def: { type: string; innerType?: z.ZodType; in?: z.ZodType; element?: z.ZodType; valueType?: z.ZodType; options?: z.ZodType[] } =
        (cur as unknown as { _zod: { def: never } })._zod.def;
      if (def.innerType) cur = def.innerType;
      else if (def.type === 'pipe' && def.in) cur = def.in;
      else break;
    }
    if (!cur) return [];
    if (p === null) break;
    if (cur instanceof z.ZodObject) cur = cur.shape[p as string] as z.ZodType | undefined;
    else if (cur instanceof z.ZodArray) cur = cur.element as z.ZodType;
    else if (cur instanceof z.ZodRecord) cur = cur.valueType as z.ZodType;
    else return [];
  }
  return cur instanceof z.ZodObject ? Object.keys(cur.shape) : [];
}

export function describeConfigIssues(schema: z.ZodType, input: unknown, error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const where = keyPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedKeys(schema, issue.path);
      return issue.keys
        .map((k) => {
          const at = where === '(top level)' ? k : `${where}.${k}`;
          return `unknown key "${at}" (value ${show(valueAt(input, [...issue.path, k]))}); allowed keys here: ${allowed.join(', ') || 'none'}`;
        })
        .join('\n  - ');
    }
    const got = valueAt(input, issue.path);
    if (issue.code === 'invalid_value') {
      return `${where}: ${show(got)} is not allowed; use one of ${issue.values.map((v) => show(v)).join(', ')}`;
    }
    if (issue.code === 'invalid_union' || issue.code === 'invalid_type') {
      return `${where}: ${show(got)} is not valid: ${issue.message}`;
    }
    return `${where}: ${show(got)} is not valid: ${issue.message}`;
  });
}

/** Validates an already-parsed object against a config schema. */
export function validateConfig<S extends z.ZodType>(schema: S, input: unknown, file = '(defaults)'): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (!result.success) throw new ConfigError(file, describeConfigIssues(schema, input, result.error));
  return result.data;
}

/**
 * Reads a YAML config file (or none: the embedded defaults) and validates it. Unknown keys are refused
 * because every schema is strict: a typo must not silently fall back to a default.
 */
export function loadConfig<S extends z.ZodType>(schema: S, file?: string): z.infer<S> {
  if (!file) return validateConfig(schema, {});
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read the file: ${(err as Error).message}`]);
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) throw new ConfigError(file, doc.errors.map((e) => `YAML syntax: ${e.message}`));
  return validateConfig(schema, doc.toJS() ?? {}, file);
}
