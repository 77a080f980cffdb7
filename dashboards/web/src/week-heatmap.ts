import { h } from '../../../web-kit/dom.js';
import { t } from './app.js';
import { AXIS_COLOR, escapeHtml, fontSize, type ChartOption } from './chart.js';
import { number, weekdayName } from './format.js';

/** Opening hours when nobody came in yet: the columns shown for an empty week. */
const DEFAULT_HOURS = { first: 9, last: 19 };

/** The hours worth a column: from the first to the last with any visitor, all weekdays together. */
function shownHours(heatmap: number[][]): number[] {
  const used = heatmap.flatMap((hours) => hours.flatMap((v, hour) => (v > 0 ? [hour] : [])));
  const first = used.length ? Math.min(...used) : DEFAULT_HOURS.first;
  const last = used.length ? Math.max(...used) : DEFAULT_HOURS.last;
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

/** Visitors by weekday (rows, Monday on top) and local hour (columns), each cell with its count. */
export function heatmapOption(heatmap: number[][]): ChartOption {
  const hours = shownHours(heatmap);
  const data = heatmap.flatMap((row, weekday) => hours.map((hour, x) => [x, weekday, row[hour] ?? 0]));
  const max = Math.max(1, ...data.map((d) => d[2] ?? 0));
  return {
    grid: { left: 8, right: 8, top: 4, bottom: 4, containLabel: true },
    tooltip: {
      confine: true,
      formatter: (p) => {
        const [x = 0, weekday = 0, visitors = 0] = (Array.isArray(p) ? p[0]?.value : p.value) as number[];
        const hour = hours[x] ?? 0;
        return `<b>${escapeHtml(weekdayName(weekday))} ${hour}\u00a0h – ${hour + 1}\u00a0h</b><br>${escapeHtml(t('frequentation.visitorsCount', { n: number(visitors) }))}`;
      },
    },
    xAxis: { type: 'category', data: hours.map((hour) => `${hour}\u00a0h`), splitArea: { show: false }, axisTick: { show: false }, axisLine: { show: false }, axisLabel: { color: AXIS_COLOR, fontSize: fontSize(11) } },
    yAxis: {
      type: 'category',
      inverse: true,
      data: heatmap.map((_, weekday) => weekdayName(weekday, 'short')),
      axisTick: { show: false },
      axisLine: { show: false },
      axisLabel: { color: AXIS_COLOR, fontSize: fontSize(12) },
    },
    visualMap: { show: false, min: 0, max, inRange: { color: ['#f1f5f6', '#7fb0b8', '#0f4c5c'] } },
    series: [
      {
        type: 'heatmap',
        data,
        itemStyle: { borderColor: '#fff', borderWidth: 2, borderRadius: 3 },
        label: { show: true, fontSize: fontSize(11), formatter: (p) => ((p.value as number[])[2] ? number((p.value as number[])[2]!) : '') },
        emphasis: { itemStyle: { borderColor: '#1d2731', borderWidth: 1 } },
      },
    ],
  };
}

/** The same figures as a table, folded under the chart: for reading exact counts and for screen readers. */
export function heatmapTable(heatmap: number[][]): HTMLElement {
  const hours = shownHours(heatmap);
  return h(
    'details',
    { class: 'chart-table' },
    h('summary', {}, t('chart.showTable')),
    h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'data-table compact', 'data-testid': 'heatmap-table' },
        h('thead', {}, h('tr', {}, h('th', {}, ''), ...hours.map((hour) => h('th', { class: 'num' }, `${hour}\u00a0h`)))),
        h(
          'tbody',
          {},
          ...heatmap.map((row, weekday) =>
            h(
              'tr',
              { 'data-weekday': String(weekday) },
              h('th', { scope: 'row' }, weekdayName(weekday)),
              ...hours.map((hour) => h('td', { class: 'num', 'data-hour': String(hour) }, number(row[hour] ?? 0))),
            ),
          ),
        ),
      ),
    ),
  );
}
