import type { InfluxStore } from '../../storage/store.js';
import type { Taxonomy } from '../../protocol/taxonomy.js';

export interface ReportDeps {
  influx: InfluxStore;
  taxonomy: Taxonomy;
}
