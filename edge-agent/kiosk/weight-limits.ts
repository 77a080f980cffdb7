/** A scale's bounds (its `weighing.minKg` and `maxKg`), which a weight typed for it must keep as one it weighed. */
export interface WeightLimits {
  minKg: number;
  maxKg?: number;
}

export interface LimitBreach {
  code: 'over-max' | 'under-min';
  /** The reason in English, for API users and logs. */
  message: string;
  params: Record<string, number>;
}

/**
 * Why a typed load is not one the scale could have weighed: more on the scale than its capacity, or less
 * net than its smallest load. Shared by the kiosk's typed lines and the agent's POST /api/v1/weighings.
 */
export function limitBreach(limits: WeightLimits, load: { netKg: number; grossKg: number }): LimitBreach | undefined {
  const { minKg, maxKg } = limits;
  if (maxKg !== undefined && load.grossKg > maxKg) {
    return { code: 'over-max', message: `${load.grossKg} kg is above the scale's maximum of ${maxKg} kg`, params: { kg: load.grossKg, maxKg } };
  }
  if (load.netKg < minKg) {
    return { code: 'under-min', message: `${load.netKg} kg is below the scale's smallest load of ${minKg} kg`, params: { kg: load.netKg, minKg } };
  }
  return undefined;
}
