import { EventEmitter } from 'node:events';
import { decode, parseTopic, parseTypedKg, roundTo, type Bon, type Weighing } from '../../protocol/index.js';
import { active, type Taxonomy } from '../../protocol/taxonomy.js';
import type { Logger } from '../../runtime/log.js';
import type { AgentDevices } from '../agent-devices.js';
import type { Clock } from '../clock.js';
import type { ScaleDeviceConfig } from '../config.js';
import type { ScaleDevice } from '../scale/scale-device.js';
import type { CapturedLoad } from '../scale/weighing-state-machine.js';
import type { BonBook } from './bon-book.js';
import { limitBreach } from './weight-limits.js';
import type { CaptureStep, KioskBon, KioskLine, KioskLiveEvent, KioskNotice, KioskScale, OpenBonInput, RefusalCode } from './kiosk-types.js';

/** A refused kiosk action: the code the page words, the reason in English, and the HTTP status. */
export class Refusal extends Error {
  constructor(
    readonly code: RefusalCode,
    message: string,
    readonly status: number,
    readonly params?: Record<string, string | number>,
  ) {
    super(message);
  }
}

interface ScaleSlot {
  device: ScaleDevice;
  config: ScaleDeviceConfig;
  armed?: { category: string; by?: string; at: number };
  container?: string;
  /** The load on the scale since it was last near zero, at its latest stable weight. */
  held?: { load: CapturedLoad; at: number };
  /** A line was taken from the load on the scale. */
  taken: boolean;
  /** Notices already given for the load on the scale: each is said once, not at every frame. */
  said: Set<RefusalCode>;
  movingSince?: number;
}

export interface CounterDeskEvents {
  /** The bon, a scale's step or the link changed: the page redraws from `state()`. */
  changed: [];
  notice: [KioskNotice];
  live: [KioskLiveEvent];
}

/** Keeps an event in the agent's outbox (fsync'd) before it counts: a line on the screen is a line kept. */
export type Accept = (id: string, topic: string, payload: Weighing | Bon) => Promise<void>;

/**
 * The drop-off counter: one open bon at a time, fed by every scale of the counter. A load becomes a line
 * when a category is tapped for it and the scale is stable, in either order (tap then load, or load then
 * tap); each line needs its own tap. Refusals are said on the screen with their reason and never recorded.
 * Events leave through the agent's outbox, so the counter works on while the server is out of reach.
 */
export class CounterDesk extends EventEmitter<CounterDeskEvents> {
  private readonly slots = new Map<string, ScaleSlot>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly ids: { site: string; agent: string },
    readonly taxonomy: Taxonomy,
    private readonly devices: AgentDevices,
    private readonly book: BonBook,
    private readonly accept: Accept,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: { stableTimeoutMs: number },
  ) {
    super();
    this.timer = setInterval(() => this.checkUnstable(), 250);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** A scale whose loads are taken on bons. */
  attachScale(device: ScaleDevice, config: ScaleDeviceConfig): void {
    const slot: ScaleSlot = { device, config, taken: false, said: new Set() };
    this.slots.set(device.id, slot);
    device.on('weighing', (load, at) => {
      slot.held = { load, at };
      slot.taken = false;
      slot.said.clear();
      this.tryTake(slot);
      this.emit('changed');
    });
    device.on('settled', (load, at) => {
      if (!slot.held || slot.taken || load.netKg < config.weighing.minKg) return;
      slot.held = { load, at };
      this.tryTake(slot);
    });
    device.on('emptied', () => {
      if (slot.held && !slot.taken && this.book.open && !slot.said.has('over-max')) this.notice('no-category', slot.device.id, { kg: slot.held.load.netKg });
      slot.held = undefined;
      slot.taken = false;
      slot.said.clear();
      this.emit('changed');
    });
    device.on('live', (v) => {
      if (v.state === 'moving') slot.movingSince ??= this.clock.now();
      else slot.movingSince = undefined;
      if (v.state === 'overload' && this.book.open && !slot.said.has('overload')) {
        slot.said.add('overload');
        this.notice('overload', device.id, config.weighing.maxKg ? { maxKg: config.weighing.maxKg } : {});
      }
      this.emit('live', { scale: device.id, kg: v.kg, state: v.state });
    });
    device.on('state', () => this.emit('changed'));
  }

  get scaleIds(): string[] {
    return [...this.slots.keys()];
  }

  scales(): KioskScale[] {
    return [...this.slots.values()].map((s) => ({
      id: s.device.id,
      minKg: s.config.weighing.minKg,
      ...(s.config.weighing.maxKg ? { maxKg: s.config.weighing.maxKg } : {}),
      live: s.device.live,
      health: s.device.health().state,
      step: this.step(s),
      ...(s.armed ? { armedCategory: s.armed.category } : {}),
      ...(s.container ? { container: s.container } : {}),
    }));
  }

  get bon(): KioskBon | null {
    return this.book.open;
  }

  get recent(): KioskBon[] {
    return this.book.recent;
  }

  private step(s: ScaleSlot): CaptureStep {
    if (s.taken) return 'taken';
    if (s.held) return s.armed ? 'waiting-stable' : 'awaiting-category';
    if (s.device.phase === 'waiting-for-zero' && (s.device.live.kg ?? 0) >= s.config.weighing.minKg) return 'empty-first';
    return s.armed ? 'armed' : 'idle';
  }

  /**
   * After a crash: a line is fsync'd in the outbox before the bons file is rewritten, so a power cut in
   * between leaves it out of the open bon. Events still waiting in the outbox put such lines (and their
   * cancellations) back.
   */
  recover(events: { topic: string; payload: string }[]): number {
    const bon = this.book.open;
    if (!bon) return 0;
    let recovered = 0;
    for (const event of events) {
      const parsed = parseTopic(event.topic);
      if (!parsed.ok || parsed.parts.kind !== 'weighing') continue;
      const w = decode('weighing', event.payload);
      if (!w.ok || w.value.bonId !== bon.bonId) continue;
      const weighing = w.value;
      if (weighing.entry === 'normal' && !bon.lines.some((l) => l.id === weighing.id)) {
        bon.lines.push({ id: weighing.id, scale: parsed.parts.device, weighing });
        recovered++;
      }
      const voided = weighing.entry === 'void' && bon.lines.find((l) => l.id === weighing.voids && !l.voided);
      if (voided) {
        voided.voided = { at: weighing.voidedAt!, voidId: weighing.id, ...(weighing.by ? { by: weighing.by } : {}) };
        recovered++;
      }
    }
    if (recovered) {
      bon.lines.sort((a, b) => a.weighing.capturedAt.localeCompare(b.weighing.capturedAt) || a.weighing.seq - b.weighing.seq);
      this.book.save();
      this.log.warn({ bonId: bon.bonId, recovered }, 'lines of the open bon recovered from the outbox after a crash');
    }
    return recovered;
  }

  // ---- bons -------------------------------------------------------------------------------------------

  openBon(input: OpenBonInput, by?: string): Promise<KioskBon> {
    return this.serial(async () => {
      if (this.book.open) throw new Refusal('bon-already-open', `bon ${this.book.open.bonId} is still open: close or abandon it first`, 409, { bonId: this.book.open.bonId });
      const fields = this.checkBonFields(input);
      const now = this.clock.now();
      const { bonId, number } = this.book.nextId(this.ids.agent, now);
      const bon: KioskBon = {
        bonId,
        number,
        ...fields,
        openedAt: new Date(now).toISOString(),
        clock: this.devices.stamp(now),
        ...(by ? { by } : {}),
        state: 'open',
        lines: [],
      };
      this.book.setOpen(bon, now);
      this.log.info({ bonId, direction: bon.direction }, 'bon opened');
      // A load already waiting on a scale is not taken by surprise: it still needs its category.
      for (const slot of this.slots.values()) this.tryTake(slot);
      this.emit('changed');
      return bon;
    });
  }

  /** Sets the district or the comment of the open bon. */
  updateBon(bonId: string, patch: { district?: string | null; comment?: string | null }): Promise<KioskBon> {
    return this.serial(async () => {
      const bon = this.openBonNamed(bonId);
      if (patch.district !== undefined) {
        if (patch.district === null) delete bon.district;
        else bon.district = this.checkBonFields({ direction: bon.direction, collectType: bon.collectType, destination: bon.destination, partner: bon.partner, district: patch.district }).district!;
      }
      if (patch.comment !== undefined) {
        if (patch.comment === null || patch.comment.trim() === '') delete bon.comment;
        else bon.comment = patch.comment.trim();
      }
      this.book.save();
      this.emit('changed');
      return bon;
    });
  }

  /** « Valider le bon »: sends the bon with its totals; an empty bon is abandoned, not closed. */
  closeBon(bonId: string, by?: string): Promise<KioskBon> {
    return this.serial(async () => {
      const bon = this.openBonNamed(bonId);
      if (!standing(bon).length) throw new Refusal('empty-bon', 'the bon has no line: weigh something or abandon it', 409);
      if (bon.direction === 'in' && this.taxonomy.districtRequired && this.taxonomy.districts.length && !bon.district) {
        throw new Refusal('missing-field', 'this site asks for the district of every incoming bon', 409, { field: 'district' });
      }
      await this.finish(bon, 'closed', by);
      return bon;
    });
  }

  /** The donor left, or the bon was a mistake: its lines are voided (compensating entries) and it is sent as abandoned. */
  abandonBon(bonId: string, by?: string): Promise<KioskBon> {
    return this.serial(async () => {
      const bon = this.openBonNamed(bonId);
      for (const line of standing(bon)) await this.voidOne(bon, line, by);
      await this.finish(bon, 'abandoned', by);
      return bon;
    });
  }

  private async finish(bon: KioskBon, state: 'closed' | 'abandoned', by?: string): Promise<void> {
    const now = this.clock.now();
    const lines = standing(bon);
    const { topic, bon: event } = this.devices.bonEvent({
      bonId: bon.bonId,
      capturedAt: bon.openedAt,
      closedAt: new Date(now).toISOString(),
      ...bon.clock,
      state,
      direction: bon.direction,
      ...pick(bon, ['collectType', 'district', 'destination', 'partner', 'comment']),
      lines: lines.length,
      netKg: totalKg(lines),
      ...(by ? { by } : {}),
    } satisfies Omit<Bon, 'v' | 'id' | 'seq'>);
    await this.acceptOrRefuse(event.id, topic, event);
    bon.state = state;
    bon.closedAt = event.closedAt;
    if (by) bon.closedBy = by;
    this.book.finish(bon);
    for (const slot of this.slots.values()) slot.armed = undefined;
    this.log.info({ bonId: bon.bonId, state, lines: event.lines, netKg: event.netKg }, `bon ${state}`);
    this.notice(state === 'closed' ? 'bon-closed' : 'bon-abandoned', undefined, { number: bon.number, kg: event.netKg, lines: event.lines });
    this.emit('changed');
  }

  // ---- lines ------------------------------------------------------------------------------------------

  /** A category tapped for a scale: takes the load on it now if it is stable, or the next one. */
  pickCategory(scaleId: string, category: string, by?: string): Promise<{ line?: KioskLine }> {
    return this.serial(async () => {
      const slot = this.slot(scaleId);
      if (!this.book.open) throw new Refusal('no-bon', 'open a bon first (« Nouveau bon »)', 409);
      this.checkCategory(category);
      slot.armed = { category, at: this.clock.now(), ...(by ? { by } : {}) };
      slot.said.delete('no-category');
      const line = await this.takeNow(slot);
      this.emit('changed');
      return line ? { line } : {};
    });
  }

  /** Picks (or clears, with null) the container whose tare is taken off the scale's next loads. */
  setContainer(scaleId: string, containerId: string | null): KioskScale {
    const slot = this.slot(scaleId);
    if (containerId === null) delete slot.container;
    else {
      if (!active(this.taxonomy.containers).some((c) => c.id === containerId)) {
        throw new Refusal('missing-field', `no container "${containerId}" in the taxonomy`, 400, { field: 'container' });
      }
      slot.container = containerId;
    }
    this.emit('changed');
    return this.scales().find((s) => s.id === scaleId)!;
  }

  /** A weight typed when the scale cannot give it: the line is marked as typed (`source: manual`). */
  typeLine(bonId: string, input: { scale: string; category: string; typed: string; container?: string }, by?: string): Promise<KioskLine> {
    return this.serial(async () => {
      const bon = this.openBonNamed(bonId);
      const slot = this.slot(input.scale);
      this.checkCategory(input.category);
      const typed = parseTypedKg(input.typed);
      if (!typed.ok) {
        throw new Refusal(typed.reason, typed.reason === 'not-a-number' ? `"${input.typed}" is not a weight in kg` : 'a weight is more than 0 kg', 400, { typed: input.typed.slice(0, 20) });
      }
      const tare = this.tareOf(input.container);
      const load = lessTare({ netKg: typed.kg }, tare);
      if (load.netKg <= 0) throw new Refusal('under-tare', `${typed.kg} kg is not more than the container's ${tare} kg`, 422, { kg: typed.kg, tareKg: tare });
      const breach = limitBreach(slot.config.weighing, { netKg: load.netKg, grossKg: typed.kg });
      if (breach) throw new Refusal(breach.code, breach.message, 422, breach.params);
      const line = await this.record(bon, slot, load, this.clock.now(), { category: input.category, source: 'manual', container: input.container, by });
      this.emit('changed');
      return line;
    });
  }

  /** Cancels a line of the open bon with a compensating entry; the line stays, struck through, with who and when. */
  voidLine(bonId: string, lineId: string, by?: string): Promise<KioskLine> {
    return this.serial(async () => {
      const bon = this.openBonNamed(bonId);
      const line = bon.lines.find((l) => l.id === lineId);
      if (!line) throw new Refusal('unknown-line', `no line ${lineId} on bon ${bonId}`, 404);
      if (line.voided) throw new Refusal('already-voided', `line ${lineId} is already cancelled`, 409);
      await this.voidOne(bon, line, by);
      this.book.save();
      this.notice('line-voided', line.scale, { kg: line.weighing.netKg, category: line.weighing.category });
      this.emit('changed');
      return line;
    });
  }

  private async voidOne(bon: KioskBon, line: KioskLine, by?: string): Promise<void> {
    const now = this.clock.now();
    const { topic, weighing } = this.devices.voidEvent(line.scale, line.weighing, now, by);
    await this.acceptOrRefuse(weighing.id, topic, weighing);
    line.voided = { at: weighing.voidedAt!, voidId: weighing.id, ...(by ? { by } : {}) };
    this.log.info({ bonId: bon.bonId, line: line.id, by }, 'line cancelled');
  }

  // ---- taking loads -------------------------------------------------------------------------------------

  /** Called on every change of a scale's load: takes it when everything is there, or says what is missing. */
  private tryTake(slot: ScaleSlot): void {
    if (!slot.held || slot.taken) return;
    void this.serial(() => this.takeNow(slot)).then(
      (line) => line && this.emit('changed'),
      (err: Error) => this.log.warn({ scale: slot.device.id, err: err.message }, 'load not taken'),
    );
  }

  private async takeNow(slot: ScaleSlot): Promise<KioskLine | undefined> {
    const held = slot.held;
    const bon = this.book.open;
    if (!held || slot.taken) return undefined;
    const id = slot.device.id;
    if (!bon) return void this.sayOnce(slot, 'no-bon', { kg: held.load.netKg });
    const onScale = held.load.grossKg ?? held.load.netKg;
    const max = slot.config.weighing.maxKg;
    if (max !== undefined && onScale > max) return void this.sayOnce(slot, 'over-max', { kg: onScale, maxKg: max });
    if (!slot.armed) return void this.sayOnce(slot, 'no-category', { kg: held.load.netKg });
    if (slot.device.live.state !== 'stable') return undefined; // taken at the next stable weight
    const tare = this.tareOf(slot.container);
    const load = lessTare(held.load, tare);
    if (load.netKg < slot.config.weighing.minKg) return void this.sayOnce(slot, 'under-tare', { kg: onScale, tareKg: tare });
    const line = await this.record(bon, slot, load, held.at, {
      category: slot.armed.category,
      source: 'auto',
      container: slot.container,
      by: slot.armed.by,
    }).catch((err: unknown) => {
      if (err instanceof Refusal) this.sayOnce(slot, err.code, err.params);
      throw err;
    });
    slot.taken = true;
    slot.armed = undefined;
    this.log.info({ scale: id, bonId: bon.bonId, netKg: line.weighing.netKg, category: line.weighing.category }, 'line taken');
    return line;
  }

  private async record(
    bon: KioskBon,
    slot: ScaleSlot,
    load: CapturedLoad,
    atMs: number,
    ctx: { category: string; source: 'auto' | 'manual'; container?: string; by?: string },
  ): Promise<KioskLine> {
    const { topic, weighing } = this.devices.weighingEvent(slot.device.id, load, atMs, {
      ...ctx,
      direction: bon.direction,
      bonId: bon.bonId,
      ...pick(bon, ['collectType', 'district', 'destination', 'partner']),
    });
    await this.acceptOrRefuse(weighing.id, topic, weighing);
    const line: KioskLine = { id: weighing.id, scale: slot.device.id, weighing };
    bon.lines.push(line);
    this.book.save();
    this.notice('line-taken', slot.device.id, { kg: weighing.netKg, category: weighing.category, source: weighing.source });
    return line;
  }

  private async acceptOrRefuse(id: string, topic: string, payload: Weighing | Bon): Promise<void> {
    try {
      await this.accept(id, topic, payload);
    } catch (err) {
      throw new Refusal('outbox-refused', `the agent could not keep the event: ${(err as Error).message}`, 503);
    }
  }

  /** A tapped category still waiting on a moving scale after the timeout is refused: the counter re-taps once it is steady. */
  private checkUnstable(): void {
    const now = this.clock.now();
    for (const slot of this.slots.values()) {
      if (!slot.armed || slot.movingSince === undefined) continue;
      if (now - Math.max(slot.movingSince, slot.armed.at) < this.opts.stableTimeoutMs) continue;
      slot.armed = undefined;
      this.notice('unstable', slot.device.id, { seconds: this.opts.stableTimeoutMs / 1000 });
      this.emit('changed');
    }
  }

  // ---- helpers ------------------------------------------------------------------------------------------

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private notice(code: KioskNotice['code'], scale?: string, params?: Record<string, string | number>): void {
    this.emit('notice', { code, ...(scale ? { scale } : {}), ...(params ? { params } : {}), at: new Date(this.clock.now()).toISOString() });
  }

  private sayOnce(slot: ScaleSlot, code: RefusalCode, params?: Record<string, string | number>): void {
    if (slot.said.has(code)) return;
    slot.said.add(code);
    this.notice(code, slot.device.id, params);
  }

  private slot(scaleId: string): ScaleSlot {
    const slot = this.slots.get(scaleId);
    if (!slot) throw new Refusal('unknown-scale', `no scale "${scaleId}" at this counter (${this.scaleIds.join(', ')})`, 404);
    return slot;
  }

  private openBonNamed(bonId: string): KioskBon {
    const bon = this.book.open;
    if (!bon || bon.bonId !== bonId) throw new Refusal('bon-not-open', `bon ${bonId} is not the open bon${bon ? ` (${bon.bonId} is)` : ''}`, 409);
    return bon;
  }

  private checkCategory(category: string): void {
    if (!active(this.taxonomy.categories).some((c) => c.id === category)) {
      throw new Refusal('unknown-category', `no category "${category}" at this counter`, 400, { category });
    }
  }

  private tareOf(containerId: string | undefined): number {
    if (!containerId) return 0;
    const container = this.taxonomy.containers.find((c) => c.id === containerId && !c.retired);
    if (!container) throw new Refusal('missing-field', `no container "${containerId}" in the taxonomy`, 400, { field: 'container' });
    return container.tareKg;
  }

  /** The fields of a new bon, each checked against the taxonomy; fields of the other direction are refused. */
  private checkBonFields(input: OpenBonInput): OpenBonInput {
    const t = this.taxonomy;
    const need = (field: string, value: string | undefined, list: { id: string; retired: boolean }[]): string => {
      if (!value) throw new Refusal('missing-field', `${field} is required`, 400, { field });
      if (!active(list).some((x) => x.id === value)) throw new Refusal('missing-field', `${field} "${value}" is not in the taxonomy`, 400, { field });
      return value;
    };
    const comment = input.comment?.trim() ? { comment: input.comment.trim() } : {};
    if (input.direction === 'in') {
      if (input.destination || input.partner) throw new Refusal('missing-field', 'an incoming bon has a collect type, not a destination', 400, { field: 'destination' });
      const district = input.district ? { district: need('district', input.district, t.districts) } : {};
      return { direction: 'in', collectType: need('collectType', input.collectType, t.collectTypes), ...district, ...comment };
    }
    if (input.collectType || input.district) throw new Refusal('missing-field', 'an outgoing bon has a destination, not a collect type', 400, { field: 'collectType' });
    const destination = need('destination', input.destination, t.destinations);
    const needsPartner = t.destinations.find((d) => d.id === destination)!.needsPartner;
    const partner = needsPartner ? { partner: need('partner', input.partner, t.partners) } : {};
    if (!needsPartner && input.partner) throw new Refusal('missing-field', `destination "${destination}" takes no partner`, 400, { field: 'partner' });
    return { direction: 'out', destination, ...partner, ...comment };
  }
}

/** A load with a container's tare taken off: the scale's own tare (if any) and the container's add up. */
function lessTare(load: CapturedLoad, tareKg: number): CapturedLoad {
  if (!tareKg) return load;
  return { netKg: roundTo(load.netKg - tareKg, 6), tareKg: roundTo((load.tareKg ?? 0) + tareKg, 6), grossKg: load.grossKg ?? load.netKg };
}

function standing(bon: KioskBon): KioskLine[] {
  return bon.lines.filter((l) => !l.voided);
}

/** Kilograms of lines, rounded so that 0.1 + 0.2 is 0.3. */
export function totalKg(lines: KioskLine[]): number {
  return roundTo(lines.reduce((kg, l) => kg + l.weighing.netKg, 0), 6);
}

function pick<T extends object, K extends keyof T>(o: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
