import { BarChart, HeatmapChart, LineChart, type BarSeriesOption, type HeatmapSeriesOption, type LineSeriesOption } from 'echarts/charts';
import {
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapContinuousComponent,
  type GridComponentOption,
  type LegendComponentOption,
  type TooltipComponentOption,
  type VisualMapComponentOption,
} from 'echarts/components';
import { init, use, type ComposeOption, type ECharts } from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { number } from './format.js';

use([BarChart, LineChart, HeatmapChart, GridComponent, LegendComponent, TooltipComponent, VisualMapContinuousComponent, CanvasRenderer]);

export type ChartOption = ComposeOption<
  BarSeriesOption | LineSeriesOption | HeatmapSeriesOption | GridComponentOption | LegendComponentOption | TooltipComponentOption | VisualMapComponentOption
>;
export type { BarSeriesOption, LineSeriesOption };

/** Canvas text does not inherit CSS fonts: the same stack as style.css. */
const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
export const AXIS_COLOR = '#5b6670';
export const GRID_LINE = '#edf0f3';

/** Type size on a chart: on a TV, read across the room, it grows with the screen as the page's type does. */
export function fontSize(px: number): number {
  if (!document.body.classList.contains('tv')) return px;
  return Math.round(px * Math.min(2, Math.max(1.2, window.innerHeight / 600)));
}

/** Axis labels in the page's language: « 1 250 » in French. */
export const axisNumber = (value: number): string => number(value);

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** One line of a tooltip: the series' colour mark, its name, and its value on the right. */
export function tooltipLine(marker: string, name: string, value: string): string {
  return `${marker}${escapeHtml(name)} <b style="float:right;margin-left:16px">${escapeHtml(value)}</b>`;
}

export interface Chart {
  /** Draws `option`, replacing the previous series (a series that went away must not linger). */
  set(option: ChartOption): void;
  dispose(): void;
}

/** An ECharts instance bound to an element: sized with it, and disposed with the page that owns it. */
function createChart(el: HTMLElement): Chart {
  let chart: ECharts | undefined;
  const resize = new ResizeObserver(() => chart?.resize());
  resize.observe(el);
  return {
    set(option) {
      chart ??= init(el, undefined, { renderer: 'canvas' });
      chart.setOption({ animationDuration: 300, textStyle: { fontFamily: FONT, fontSize: fontSize(12) }, ...option }, { replaceMerge: ['series'] });
    },
    dispose() {
      resize.disconnect();
      chart?.dispose();
      chart = undefined;
    },
  };
}

/**
 * A page's charts by name. A page redraws its cards from scratch, but each chart keeps its element and its
 * ECharts instance across redraws (a new instance per redraw would flash and leak).
 */
export class ChartSlots {
  private readonly slots = new Map<string, { el: HTMLElement; chart: Chart }>();

  /** The chart named `name`, drawn with `option`; its element goes into the card being built. */
  draw(name: string, option: ChartOption, opts: { className?: string; testid?: string } = {}): HTMLElement {
    let slot = this.slots.get(name);
    if (!slot) {
      const el = document.createElement('div');
      el.className = opts.className ?? 'chart';
      el.dataset.testid = opts.testid ?? `chart-${name}`;
      slot = { el, chart: createChart(el) };
      this.slots.set(name, slot);
    }
    const { el, chart } = slot;
    // Drawn once the element is in the page and has its size.
    requestAnimationFrame(() => {
      if (el.isConnected) chart.set(option);
    });
    return el;
  }

  dispose(): void {
    for (const { chart } of this.slots.values()) chart.dispose();
    this.slots.clear();
  }
}
