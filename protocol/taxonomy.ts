/**
 * The default site taxonomy: the eight categories of a typical ressourcerie (docs/domain.md), how goods
 * came in, and where they go. Ids are what is stored (tags); labels can be renamed without splitting history.
 */
export interface Labelled {
  id: string;
  label: { fr: string; en: string };
}
export interface Category extends Labelled {
  color: string;
}

export const DEFAULT_CATEGORIES: Category[] = [
  { id: 'textile', label: { fr: 'Textile', en: 'Textiles' }, color: '#d1495b' },
  { id: 'mobilier', label: { fr: 'Mobilier', en: 'Furniture' }, color: '#8d6a9f' },
  { id: 'livres', label: { fr: 'Livres', en: 'Books' }, color: '#edae49' },
  { id: 'deee', label: { fr: 'DEEE', en: 'Electricals (WEEE)' }, color: '#00798c' },
  { id: 'quincaillerie', label: { fr: 'Quincaillerie', en: 'Hardware & dishes' }, color: '#30638e' },
  { id: 'jouets', label: { fr: 'Jouets', en: 'Toys' }, color: '#66a182' },
  { id: 'supports-media', label: { fr: 'Supports média', en: 'Media (CD, DVD)' }, color: '#c17c74' },
  { id: 'autre', label: { fr: 'Autre', en: 'Other' }, color: '#7a7a7a' },
];

export const DEFAULT_COLLECT_TYPES: Labelled[] = [
  { id: 'apport-volontaire', label: { fr: 'Apport volontaire', en: 'Counter drop-off' } },
  { id: 'collecte-domicile', label: { fr: 'Collecte à domicile', en: 'Home pick-up' } },
  { id: 'debarras', label: { fr: 'Débarras', en: 'Clearance' } },
  { id: 'collecte-partenaire', label: { fr: 'Collecte partenaire', en: 'Partner pick-up' } },
];

export const DEFAULT_DESTINATIONS: Labelled[] = [
  { id: 'reemploi', label: { fr: 'Réemploi', en: 'Reuse' } },
  { id: 'don', label: { fr: 'Don', en: 'Donation' } },
  { id: 'recyclage', label: { fr: 'Recyclage', en: 'Recycling' } },
  { id: 'decheterie', label: { fr: 'Déchetterie', en: 'Landfill / incineration' } },
];
