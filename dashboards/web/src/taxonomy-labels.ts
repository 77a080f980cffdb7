import { app, t } from './app.js';

/**
 * The site taxonomy's words and colours for the ids the API sends. An id the taxonomy no longer lists
 * shows as itself (history keeps its points), with a colour of its own.
 */

const FALLBACK_COLORS = ['#4c6a92', '#9c6644', '#5b8e7d', '#b56576', '#6d597a'];

/** Colours of destinations, which the taxonomy does not colour: reuse green, landfill grey. */
const DESTINATION_COLORS: Record<string, string> = { reemploi: '#2f855a', don: '#66a182', recyclage: '#30638e', decheterie: '#8a8f96' };

function fallbackColor(id: string): string {
  let hash = 0;
  for (const ch of id) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return FALLBACK_COLORS[hash % FALLBACK_COLORS.length] ?? '#777';
}

type ListName = 'collectTypes' | 'destinations' | 'partners' | 'districts';

function labelIn(list: ListName, id: string): string {
  if (id === '') return t('notGiven');
  return app.site?.taxonomy[list].find((x) => x.id === id)?.label[app.lang] ?? id;
}

export function category(id: string): { label: string; color: string } {
  const found = app.site?.categories.find((c) => c.id === id);
  return found ? { label: found.label[app.lang], color: found.color } : { label: id, color: fallbackColor(id) };
}

export const collectTypeLabel = (id: string): string => labelIn('collectTypes', id);
export const partnerLabel = (id: string): string => labelIn('partners', id);
export const districtLabel = (id: string): string => labelIn('districts', id);

export function destination(id: string): { label: string; color: string } {
  return { label: labelIn('destinations', id), color: DESTINATION_COLORS[id] ?? fallbackColor(id) };
}

/** Sorts category ids in the taxonomy's order, unknown ones last by id. */
export function byCategoryOrder(a: string, b: string): number {
  const order = (id: string) => {
    const i = app.site?.categories.findIndex((c) => c.id === id) ?? -1;
    return i < 0 ? Infinity : i;
  };
  return order(a) === order(b) ? a.localeCompare(b) : order(a) - order(b);
}
