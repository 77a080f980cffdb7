import type { InfluxDB } from 'influx';
import type { Taxonomy } from '../../protocol/taxonomy.js';

export interface ReportDeps {
  influx: InfluxDB;
  taxonomy: Taxonomy;
}
