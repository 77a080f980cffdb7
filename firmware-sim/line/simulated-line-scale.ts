import type { ScaleDisplay } from '../common/scale-model.js';
import { SimulatedScaleBase, type SimulatedScaleBaseOptions } from '../common/simulated-scale-base.js';

/**
 * The pattern, in the `line` driver's config, that reads this twin's lines (its README's sample): a status
 * letter, the weight, the unit, and `NET` after a tare.
 */
export const SIMULATED_LINE_PATTERN = '(?<mark>[SMO]) +(?<weight>-?[\\d.]+|-+) (?<unit>kg|g|lb|t)(?: (?<legend>NET))?$';

/**
 * The twin of the `line` driver: a scale of no known protocol streaming one line every intervalMs,
 * `S    12.34 kg` (stable), `M    12.34 kg` (moving), `O ---- kg` (over capacity), `NET` after a tare.
 * It hears nothing.
 */
export class SimulatedLineScale extends SimulatedScaleBase {
  constructor(options: SimulatedScaleBaseOptions = {}) {
    super(options);
  }

  protected encode(d: ScaleDisplay): Buffer {
    if (d.status === 'overload' || d.status === 'underload' || d.value === undefined) return Buffer.from(`O ${'-'.repeat(8)} ${d.unit}\r\n`, 'latin1');
    const mark = d.status === 'stable' ? 'S' : 'M';
    return Buffer.from(`${mark} ${d.value.toFixed(d.decimals).padStart(8)} ${d.unit}${d.net ? ' NET' : ''}\r\n`, 'latin1');
  }

  receive(): void {}
}
