import { appareilsPage } from './appareils.js';
import { aujourdhuiPage } from './aujourdhui.js';
import { bilanPage } from './bilan.js';
import { collectePage } from './collecte.js';
import { frequentationPage } from './frequentation.js';
import { sortiesPage } from './sorties.js';

/**
 * Every page, in the order of the navigation tabs, the home page first: the addresses, the tabs and the
 * TV mode all take them from here.
 */
export const PAGES = [aujourdhuiPage, collectePage, sortiesPage, frequentationPage, bilanPage, appareilsPage] as const;
export type PageId = (typeof PAGES)[number]['id'];
