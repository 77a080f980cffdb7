import { bilan } from './bilan.js';
import { collecte } from './collecte.js';
import { frequentation } from './frequentation.js';
import type { ReportDefinition } from './report.js';
import { sorties } from './sorties.js';
import { today } from './today.js';

/** Every report the API serves: api/reports-routes.ts makes their routes from this list. */
export const REPORTS: readonly ReportDefinition[] = [collecte, sorties, frequentation, bilan, today];
