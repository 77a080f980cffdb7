import { langChoice, type Lang } from '../../../web-kit/lang.js';

export type { Lang };
/** The page's words: French first (the users' ressourcerie vocabulary), English second. */

const fr = {
  appName: 'Trébuchet',
  pageToday: "Aujourd'hui",
  'link.connecting': 'Connexion…',
  'link.live': 'En direct',
  'link.brokerDown': 'Balances injoignables',
  'link.offline': 'Hors ligne, reconnexion…',
  'link.titleLive': 'Les poids et les pesées arrivent en direct.',
  'link.titleBrokerDown': 'Le serveur ne reçoit plus les balances (courtier MQTT injoignable) ; les chiffres affichés datent de la dernière connexion.',
  'link.titleOffline': "La page n'atteint plus le serveur ; elle se reconnecte d'elle-même.",
  liveTitle: 'Poids en direct',
  noScale: "Aucune balance n'a encore envoyé de poids.",
  noScaleHint: "Les balances apparaissent ici dès qu'elles pèsent.",
  'state.stable': 'stable',
  'state.moving': 'en mouvement',
  'state.overload': 'surcharge',
  'state.underload': 'sous-charge',
  'state.offline': 'hors ligne',
  since: 'depuis {time}',
  todayTitle: "Collecte d'aujourd'hui",
  todayTotal: "kg collectés aujourd'hui",
  noWeighingToday: "Aucune pesée aujourd'hui pour l'instant.",
  dailyTitle: 'kg par jour',
  dailySubtitle: '30 derniers jours, par catégorie',
  total: 'Total',
  latestTitle: 'Dernières pesées',
  'col.time': 'Heure',
  'col.category': 'Catégorie',
  'col.kg': 'kg',
  'col.scale': 'Balance',
  void: 'annulation',
  manual: 'saisie manuelle',
  loadError: 'Données indisponibles : {detail}. Nouvel essai automatique.',
  updatedAt: 'Mis à jour à {time}',
  language: 'Langue',
  'login.title': 'Connexion',
  'login.intro': 'Connectez-vous pour voir les chiffres de la ressourcerie.',
  'login.name': 'Nom',
  'login.password': 'Mot de passe',
  'login.submit': 'Se connecter',
  'login.wrong': 'Nom ou mot de passe incorrect.',
  'login.unreachable': 'Serveur injoignable ; réessayez dans un instant.',
  'login.noAccount': "Aucun compte n'existe encore : créez-en un avec",
  logout: 'Se déconnecter',
} as const;

export type MessageKey = keyof typeof fr;

const en: Record<MessageKey, string> = {
  appName: 'Trébuchet',
  pageToday: 'Today',
  'link.connecting': 'Connecting…',
  'link.live': 'Live',
  'link.brokerDown': 'Scales unreachable',
  'link.offline': 'Offline, reconnecting…',
  'link.titleLive': 'Weights and weighings arrive live.',
  'link.titleBrokerDown': 'The server no longer hears the scales (MQTT broker unreachable); figures are as of the last connection.',
  'link.titleOffline': 'The page cannot reach the server; it reconnects by itself.',
  liveTitle: 'Live weight',
  noScale: 'No scale has sent a weight yet.',
  noScaleHint: 'Scales show up here as soon as they weigh.',
  'state.stable': 'stable',
  'state.moving': 'moving',
  'state.overload': 'overload',
  'state.underload': 'underload',
  'state.offline': 'offline',
  since: 'since {time}',
  todayTitle: "Today's collection",
  todayTotal: 'kg collected today',
  noWeighingToday: 'No weighing yet today.',
  dailyTitle: 'kg per day',
  dailySubtitle: 'last 30 days, by category',
  total: 'Total',
  latestTitle: 'Latest weighings',
  'col.time': 'Time',
  'col.category': 'Category',
  'col.kg': 'kg',
  'col.scale': 'Scale',
  void: 'void',
  manual: 'manual entry',
  loadError: 'Data unavailable: {detail}. Retrying automatically.',
  updatedAt: 'Updated at {time}',
  language: 'Language',
  'login.title': 'Sign in',
  'login.intro': "Sign in to see the ressourcerie's figures.",
  'login.name': 'Name',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.wrong': 'Wrong name or password.',
  'login.unreachable': 'Server unreachable; try again in a moment.',
  'login.noAccount': 'No account exists yet: create one with',
  logout: 'Sign out',
};

const messages: Record<Lang, Record<MessageKey, string>> = { fr, en };
const STORAGE_KEY = 'trebuchet.lang';

const langs = langChoice(STORAGE_KEY);
export const initialLang = langs.initial;
export const rememberLang = langs.remember;

export function translate(lang: Lang, key: MessageKey, vars: Record<string, string> = {}): string {
  return messages[lang][key].replace(/\{(\w+)\}/g, (_, name: string) => vars[name] ?? `{${name}}`);
}

export function localeOf(lang: Lang): string {
  return lang === 'fr' ? 'fr-FR' : 'en-GB';
}
