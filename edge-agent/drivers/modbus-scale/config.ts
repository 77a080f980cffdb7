import { z } from 'zod';
import { slug } from '../../../protocol/index.js';
import { listScalePresets, loadScalePreset, scaleMapSchema, type ScaleMap } from './presets.js';

const optionsShape = {
  /** How often the weight is read. 200 ms gives a live display at 5 Hz; a 9600-baud line carries about 25 reads a second in all. */
  pollMs: z.number().int().min(20).max(60_000).default(200),
  /** A preset in presets/ (file name without .yaml). */
  preset: slug.optional(),
  /** Or the register map itself (same keys as a preset file). */
  map: scaleMapSchema.optional(),
  /** Decimals shown by the indicator: required by presets that say `decimals: config`, else overrides the map's. */
  decimals: z.number().int().min(0).max(6).optional(),
};

function checkOptions(o: { preset?: string | undefined; map?: ScaleMap | undefined; decimals?: number | undefined }, ctx: z.RefinementCtx): void {
  if ((o.preset === undefined) === (o.map === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['preset'], message: `give exactly one of preset (${listScalePresets().join(', ')}) or map` });
    return;
  }
  let map = o.map;
  if (o.preset !== undefined) {
    try {
      map = loadScalePreset(o.preset);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['preset'], message: (err as Error).message });
      return;
    }
  }
  if (map?.decimals === 'config' && o.decimals === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['decimals'],
      message: `${o.preset ? `preset ${o.preset}` : 'this map'} takes the decimals from the indicator's setup: set decimals to what the display shows (2 for 12.34 kg)`,
    });
  }
}

/** Options of the Modbus scale driver (what its constructor takes, besides the slave). */
export const modbusScaleOptionsSchema = z.object(optionsShape).strict().superRefine(checkOptions);

/** The `modbus:` block of a weighing-indicator device: which bus, which unit, and its map. */
export const modbusScaleConfigSchema = z
  .object({
    /** The id of a bus in the agent's `modbus.buses`. */
    bus: slug,
    unitId: z.number().int().min(1).max(247),
    ...optionsShape,
  })
  .strict()
  .superRefine(checkOptions);

export type ModbusScaleOptions = z.infer<typeof modbusScaleOptionsSchema>;
export type ModbusScaleOptionsInput = z.input<typeof modbusScaleOptionsSchema>;
export type ModbusScaleConfig = z.infer<typeof modbusScaleConfigSchema>;
export type ModbusScaleConfigInput = z.input<typeof modbusScaleConfigSchema>;

/** The map the options name: the inline map, or the preset's. */
export function resolveScaleMap(options: Pick<ModbusScaleOptions, 'preset' | 'map'>): ScaleMap {
  return options.map ?? loadScalePreset(options.preset!);
}
