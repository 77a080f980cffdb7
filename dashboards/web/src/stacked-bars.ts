import { AXIS_COLOR, axisNumber, escapeHtml, fontSize, GRID_LINE, tooltipLine, type BarSeriesOption, type ChartOption, type LineSeriesOption } from './chart.js';
import { t } from './app.js';

export interface BarStack {
  id: string;
  name: string;
  color: string;
  values: number[];
}

export interface StackedBars {
  /** Short names on the axis, and the long ones the tooltip heads with. */
  labels: string[];
  longLabels: string[];
  stacks: BarStack[];
  /** A line over the bars (last year's figures). */
  line?: { name: string; color: string; values: (number | null)[] };
  /** What the value axis counts: « kg », « visiteurs ». */
  unit: string;
  valueText: (value: number) => string;
  /** The bucket to name in bold (today). */
  highlight?: number;
  /** Which axis labels to show when they cannot all fit. */
  labelInterval?: (index: number) => boolean;
}

/** Bars per bucket stacked by category or destination, with their total in the tooltip. */
export function stackedBarsOption(s: StackedBars): ChartOption {
  const series: (BarSeriesOption | LineSeriesOption)[] = s.stacks.map((stack) => ({
    type: 'bar',
    id: stack.id,
    name: stack.name,
    stack: 'total',
    barMaxWidth: 28,
    itemStyle: { color: stack.color },
    emphasis: { focus: 'series' },
    data: stack.values,
  }));
  if (s.line) {
    series.push({
      type: 'line',
      id: 'line',
      name: s.line.name,
      data: s.line.values,
      symbolSize: 6,
      lineStyle: { color: s.line.color, width: 2, type: 'dashed' },
      itemStyle: { color: s.line.color },
    });
  }
  return {
    grid: { left: 8, right: 12, top: s.stacks.length > 1 || s.line ? 44 : 24, bottom: 4, containLabel: true },
    legend: {
      show: s.stacks.length > 1 || !!s.line,
      type: 'scroll',
      top: 0,
      left: 0,
      icon: 'roundRect',
      itemWidth: 10,
      itemHeight: 10,
      itemGap: 14,
      textStyle: { color: '#3d4852', fontSize: fontSize(13) },
    },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      confine: true,
      formatter: (params) => {
        const items = (Array.isArray(params) ? params : [params]).filter((p) => p.value !== null && p.value !== undefined && Number(p.value) !== 0);
        const index = (Array.isArray(params) ? params[0] : params)?.dataIndex ?? 0;
        const bars = items.filter((p) => p.seriesType === 'bar');
        const total = bars.reduce((sum, p) => sum + Number(p.value), 0);
        const lines = items.map((p) => tooltipLine(String(p.marker ?? ''), p.seriesName ?? '', s.valueText(Number(p.value))));
        if (s.stacks.length > 1) lines.push(tooltipLine('', t('total'), s.valueText(total)));
        return [`<b>${escapeHtml(s.longLabels[index] ?? '')}</b>`, ...lines].join('<br>');
      },
    },
    xAxis: {
      type: 'category',
      data: s.labels,
      axisTick: { show: false },
      axisLine: { lineStyle: { color: '#c9cfd6' } },
      axisLabel: {
        color: AXIS_COLOR,
        fontSize: fontSize(12),
        hideOverlap: true,
        ...(s.labelInterval ? { interval: s.labelInterval } : {}),
        formatter: (label: string, index: number) => (index === s.highlight ? `{strong|${label}}` : label),
        rich: { strong: { fontWeight: 'bold', color: '#0f4c5c', fontSize: fontSize(12) } },
      },
    },
    yAxis: {
      type: 'value',
      name: s.unit,
      // From the axis into the plot: a long unit (« visiteurs ») is not cut at the card's edge.
      nameTextStyle: { color: AXIS_COLOR, align: 'left', fontSize: fontSize(12) },
      axisLabel: { color: AXIS_COLOR, fontSize: fontSize(12), formatter: axisNumber },
      splitLine: { lineStyle: { color: GRID_LINE } },
    },
    series,
  };
}
