import { z } from 'zod';
import { slug } from './ids.js';

/**
 * The site taxonomy: what the counter weighs and how the dashboards name it. Ids are what is stored
 * (InfluxDB tags), so a label can be renamed at will; an id that must change lists its old ids in
 * `formerIds` and the dashboards count the old points under the new category: history never splits.
 * Defined once (a YAML file or the `taxonomy` key of a config) and read by the agent's kiosk and by the
 * dashboards. Browser-safe: the kiosk and the dashboards pages validate what they are sent with it.
 */

/** A label in French (the users' language) and English; a plain string is used for both. */
const labelSchema = z.union([
  z.string().min(1).max(60).transform((s) => ({ fr: s, en: s })),
  z.object({ fr: z.string().min(1).max(60), en: z.string().min(1).max(60) }).strict(),
]);
export type Label = z.infer<typeof labelSchema>;

const colour = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like "#d1495b"');

const entry = {
  id: slug,
  label: labelSchema,
  /** Kept for history and reports, no longer offered at the counter. */
  retired: z.boolean().default(false),
};

export const categorySchema = z
  .object({ ...entry, color: colour, formerIds: z.array(slug).max(20).default([]) })
  .strict();
export const labelledSchema = z.object(entry).strict();
export const destinationSchema = z
  .object({
    ...entry,
    /** Recycling goes to a partner channel (filière), picked on the bon. */
    needsPartner: z.boolean().default(false),
    /** Counts in the valorisation rate (reuse and recycling do, landfill does not). */
    valorised: z.boolean().default(true),
  })
  .strict();
export const containerSchema = z
  .object({ ...entry, tareKg: z.number().positive().max(1000) })
  .strict();

export type Category = z.infer<typeof categorySchema>;
export type Labelled = z.infer<typeof labelledSchema>;
export type Destination = z.infer<typeof destinationSchema>;
export type Container = z.infer<typeof containerSchema>;

const l = (fr: string, en: string) => ({ fr, en });

/** The eight categories of a typical ressourcerie (docs/domain.md). */
export const DEFAULT_CATEGORIES: Category[] = [
  ['textile', l('Textile', 'Textiles'), '#d1495b'],
  ['mobilier', l('Mobilier', 'Furniture'), '#8d6a9f'],
  ['livres', l('Livres', 'Books'), '#edae49'],
  ['deee', l('DEEE', 'Electricals (WEEE)'), '#00798c'],
  ['quincaillerie', l('Quincaillerie', 'Hardware & dishes'), '#30638e'],
  ['jouets', l('Jouets', 'Toys'), '#66a182'],
  ['supports-media', l('Supports média', 'Media (CD, DVD)'), '#c17c74'],
  ['autre', l('Autre', 'Other'), '#7a7a7a'],
].map(([id, label, color]) => ({ id, label, color, retired: false, formerIds: [] }) as Category);

export const DEFAULT_COLLECT_TYPES: Labelled[] = [
  ['apport-volontaire', l('Apport volontaire', 'Counter drop-off')],
  ['collecte-domicile', l('Collecte à domicile', 'Home pick-up')],
  ['debarras', l('Débarras', 'Clearance')],
  ['collecte-partenaire', l('Collecte partenaire', 'Partner pick-up')],
].map(([id, label]) => ({ id, label, retired: false }) as Labelled);

export const DEFAULT_DESTINATIONS: Destination[] = [
  { id: 'reemploi', label: l('Réemploi (vente)', 'Reuse (sold)'), retired: false, needsPartner: false, valorised: true },
  { id: 'don', label: l('Don à un partenaire', 'Given to a partner'), retired: false, needsPartner: false, valorised: true },
  { id: 'recyclage', label: l('Recyclage', 'Recycling'), retired: false, needsPartner: true, valorised: true },
  { id: 'decheterie', label: l('Déchetterie', 'Landfill / incineration'), retired: false, needsPartner: false, valorised: false },
];

/** Recycling channels (filières) of docs/domain.md; sites name their actual partners. */
export const DEFAULT_PARTNERS: Labelled[] = [
  ['filiere-textile', l('Filière textile', 'Textile recycling')],
  ['filiere-deee', l('Filière DEEE', 'WEEE recycling')],
  ['filiere-livres', l('Filière livres', 'Book recycling')],
  ['filiere-metaux', l('Filière métaux', 'Metal recycling')],
].map(([id, label]) => ({ id, label, retired: false }) as Labelled);

export const DEFAULT_CONTAINERS: Container[] = [
  { id: 'bac', label: l('Bac', 'Bin'), tareKg: 2.4, retired: false },
  { id: 'caisse-livres', label: l('Caisse à livres', 'Book crate'), tareKg: 1.2, retired: false },
  { id: 'chariot', label: l('Chariot', 'Trolley'), tareKg: 18.5, retired: false },
];

function uniqueIds(list: { id: string }[], path: string, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  list.forEach((item, i) => {
    if (seen.has(item.id)) ctx.addIssue({ code: 'custom', path: [path, i, 'id'], message: `"${item.id}" is used twice in ${path}` });
    seen.add(item.id);
  });
}

export const taxonomySchema = z
  .object({
    /** Offered at the counter in this order, with their colours on the buttons and in the charts. */
    categories: z.array(categorySchema).min(1).max(40).default(DEFAULT_CATEGORIES),
    /** How goods came in (type de collecte). */
    collectTypes: z.array(labelledSchema).min(1).max(20).default(DEFAULT_COLLECT_TYPES),
    /** Where goods go out (sorties). */
    destinations: z.array(destinationSchema).min(1).max(20).default(DEFAULT_DESTINATIONS),
    /** Recycling partners (filières), picked for a destination with `needsPartner`. */
    partners: z.array(labelledSchema).max(40).default(DEFAULT_PARTNERS),
    /** The donor's district (provenance, localité); asked only when the list is not empty. */
    districts: z.array(labelledSchema).max(200).default([]),
    /** Whether the counter must give a district on every incoming bon, when there are districts. */
    districtRequired: z.boolean().default(false),
    /** Bins and trolleys of known weight: picked at the counter, their tare is subtracted. */
    containers: z.array(containerSchema).max(40).default(DEFAULT_CONTAINERS),
  })
  .strict()
  .superRefine((t, ctx) => {
    uniqueIds(t.categories, 'categories', ctx);
    uniqueIds(t.collectTypes, 'collectTypes', ctx);
    uniqueIds(t.destinations, 'destinations', ctx);
    uniqueIds(t.partners, 'partners', ctx);
    uniqueIds(t.districts, 'districts', ctx);
    uniqueIds(t.containers, 'containers', ctx);
    const ids = new Set(t.categories.map((c) => c.id));
    const former = new Map<string, string>();
    t.categories.forEach((c, i) =>
      c.formerIds.forEach((old, j) => {
        if (ids.has(old)) ctx.addIssue({ code: 'custom', path: ['categories', i, 'formerIds', j], message: `"${old}" is still a category id` });
        else if (former.has(old)) ctx.addIssue({ code: 'custom', path: ['categories', i, 'formerIds', j], message: `"${old}" is already a former id of "${former.get(old)}"` });
        former.set(old, c.id);
      }),
    );
    if (t.destinations.some((d) => d.needsPartner && !d.retired) && !t.partners.some((p) => !p.retired)) {
      ctx.addIssue({ code: 'custom', path: ['partners'], message: 'a destination needs a partner but no partner is listed' });
    }
  });

export type Taxonomy = z.infer<typeof taxonomySchema>;
export type TaxonomyInput = z.input<typeof taxonomySchema>;

export const DEFAULT_TAXONOMY: Taxonomy = taxonomySchema.parse({});

/** The current category id of a stored one: itself, or the category that lists it in `formerIds`. */
export function categoryResolver(taxonomy: Taxonomy): (stored: string) => string {
  const map = new Map<string, string>();
  for (const c of taxonomy.categories) for (const old of c.formerIds) map.set(old, c.id);
  return (stored) => map.get(stored) ?? stored;
}

/** What the counter may still pick from a list. */
export function active<T extends { retired: boolean }>(list: T[]): T[] {
  return list.filter((x) => !x.retired);
}
