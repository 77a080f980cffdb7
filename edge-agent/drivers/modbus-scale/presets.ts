import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { KG_PER_UNIT, type MassUnit } from '../../../protocol/units.js';
import { projectRoot } from '../../../runtime/project-root.js';
import {
  bitsSpans,
  checkBitsFit,
  fieldSpans,
  registerBitsSchema,
  registerBitsShape,
  registerErrorSchema,
  registerFieldSchema,
  registerFlagSchema,
  registerFlagsSchema,
  registerMapBaseShape,
  type RegisterSpan,
} from '../../modbus/register-map.js';

const massUnits = Object.keys(KG_PER_UNIT) as [MassUnit, ...MassUnit[]];
const word = z.number().int().min(0).max(0xffff);

/** A zero or tare command: FC06 writes to a holding register. */
export const scaleCommandSchema = z
  .object({
    /** Holding register (protocol address) the command is written to. */
    register: z.number().int().min(0).max(65_535),
    value: word,
    /** Written just before `value`, for devices that act on a change only (Dini Argeo DGT4X: 0). */
    rearm: word.optional(),
    /**
     * For devices that acknowledge by a handshake bit: after `value`, wait until this flag is active,
     * then write `rearm` (or 0) so that the next command is seen.
     */
    handshake: registerFlagSchema.optional(),
  })
  .strict();

const flags = registerFlagsSchema.optional();

/** A weighing indicator's register map: what a preset file holds, or a device config's inline `map`. */
export const scaleMapSchema = z
  .object({
    /** Shown in logs and the probe; the product and the manual it comes from. */
    description: z.string().optional(),
    ...registerMapBaseShape,
    fields: z
      .object({ gross: registerFieldSchema.optional(), net: registerFieldSchema.optional(), tare: registerFieldSchema.optional() })
      .strict()
      .refine((f) => f.gross || f.net, 'a scale map needs a gross or a net field'),
    /**
     * Decimals shown by the indicator, dividing integer weights (a float is only rounded to them): a number,
     * `config` when only the indicator's setup knows it (the device config must then give `decimals`), or
     * the bits that carry it.
     */
    decimals: z.union([z.number().int().min(0).max(6), z.literal('config'), registerBitsSchema], {
      error: 'decimals: a number (0–6), "config", or { register, bit, width } where the indicator reports it',
    }),
    /** The display unit, or the bits carrying a unit code with the unit of each code. */
    unit: z
      .union([
        z.enum(massUnits),
        z
          .object({ ...registerBitsShape, values: z.array(z.enum(massUnits).nullable()).min(1) })
          .strict()
          .superRefine(checkBitsFit),
      ])
      .default('kg'),
    flags: z
      .object({
        stable: flags,
        /** The opposite of stable, for indicators that report motion. */
        moving: flags,
        overload: flags,
        underload: flags,
        /** The display shows net. */
        net: flags,
        /** A tare is active (the display shows net). */
        tare: flags,
        /** Centre of zero: informative. */
        zero: flags,
        /** Acknowledgement of commands (see commands.*.handshake): informative here. */
        handshake: flags,
      })
      .strict()
      .refine((f) => f.stable || f.moving, 'a scale map needs a `stable` or a `moving` flag: a weighing is only taken when stable'),
    /**
     * Faults the indicator reports by a status bit, each with its reason. An active one makes the poll a
     * device error (a frameError in the device's health), never a weight: a broken load cell must not
     * read as « 0 kg, stable ».
     */
    errors: z.array(registerErrorSchema).default([]),
    commands: z
      .object({ zero: scaleCommandSchema.optional(), tare: scaleCommandSchema.optional() })
      .strict()
      .default({}),
  })
  .strict();

export type ScaleMap = z.infer<typeof scaleMapSchema>;
export type ScaleMapInput = z.input<typeof scaleMapSchema>;
export type ScaleCommand = z.infer<typeof scaleCommandSchema>;

/** Every register a map reads: its fields with their sign bits, its flags, its decimals and unit bits. */
export function scaleMapSpans(map: ScaleMap): RegisterSpan[] {
  const spans: RegisterSpan[] = [];
  for (const field of Object.values(map.fields)) if (field) spans.push(...fieldSpans(field, map.kind));
  for (const flag of [...Object.values(map.flags), ...map.errors]) if (flag) spans.push(...bitsSpans(flag, map.kind));
  if (typeof map.decimals === 'object') spans.push(...bitsSpans(map.decimals, map.kind));
  if (typeof map.unit === 'object') spans.push(...bitsSpans(map.unit, map.kind));
  return spans;
}

/** A preset file that cannot be used; the message names the file and the key. */
export class ScalePresetError extends Error {
  override readonly name = 'ScalePresetError';
}

/** The presets folder: YAML data next to the source, found from the project root whether running from src or dist. */
export function scalePresetDir(): string {
  return join(projectRoot(import.meta.url), 'edge-agent', 'drivers', 'modbus-scale', 'presets');
}

/** Preset names (file names without .yaml), sorted. */
export function listScalePresets(dir: string = scalePresetDir()): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}

const cache = new Map<string, ScaleMap>();

/** The validated map of preset `name`; read once, then cached. Throws a ScalePresetError naming the file and key. */
export function loadScalePreset(name: string, dir: string = scalePresetDir()): ScaleMap {
  const file = join(dir, `${name}.yaml`);
  const cached = cache.get(file);
  if (cached) return cached;
  const shown = relative(process.cwd(), file) || file;
  if (!/^[a-z0-9-]{1,64}$/.test(name) || !existsSync(file)) {
    throw new ScalePresetError(`unknown Modbus scale preset "${name}"; presets: ${listScalePresets(dir).join(', ') || 'none'} (in ${dir})`);
  }
  let data: unknown;
  try {
    data = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ScalePresetError(`${shown}: not valid YAML: ${(err as Error).message}`);
  }
  const result = scaleMapSchema.safeParse(data);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new ScalePresetError(`${shown}: ${issues.join('; ')}`);
  }
  cache.set(file, result.data);
  return result.data;
}
