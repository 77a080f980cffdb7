/**
 * Bounds what aedes' persistence holds for each persistent session (QoS 1 messages a client has not
 * acknowledged yet, offline or slow), which aedes never limits itself. Wraps the persistence's own
 * methods, so the count follows exactly what it adds and removes.
 */
interface QueuedPacket {
  payload?: Buffer | string;
}
interface Subscriber {
  clientId: string;
}
/** The part of aedes' persistence (aedes-persistence) that holds outgoing messages. */
export interface OutgoingStore {
  outgoingEnqueue(sub: Subscriber, packet: QueuedPacket): Promise<unknown>;
  outgoingEnqueueCombi(subs: Subscriber[], packet: QueuedPacket): Promise<unknown>;
  outgoingClearMessageId(client: { id: string }, packet: unknown): Promise<QueuedPacket | undefined>;
}

export interface QueueLimits {
  messages: number;
  bytes: number;
}

interface Queued {
  messages: number;
  bytes: number;
  /** Already reported full: one log line per overflow, not one per dropped message. */
  full: boolean;
}

const sizeOf = (p: QueuedPacket | undefined) => (p?.payload === undefined ? 0 : Buffer.byteLength(p.payload));

export function boundOutgoingQueues(store: OutgoingStore, limits: QueueLimits, onFull: (clientId: string, queued: { messages: number; bytes: number }) => void): void {
  const queues = new Map<string, Queued>();
  const { outgoingEnqueueCombi, outgoingClearMessageId } = store;

  /** The subscribers that still have room for `packet`, counting it in theirs. */
  const admit = (subs: Subscriber[], packet: QueuedPacket): Subscriber[] => {
    const size = sizeOf(packet);
    return subs.filter((sub) => {
      const q = queues.get(sub.clientId) ?? { messages: 0, bytes: 0, full: false };
      if (q.messages + 1 > limits.messages || q.bytes + size > limits.bytes) {
        if (!q.full) onFull(sub.clientId, { messages: q.messages, bytes: q.bytes });
        q.full = true;
        queues.set(sub.clientId, q);
        return false;
      }
      queues.set(sub.clientId, { messages: q.messages + 1, bytes: q.bytes + size, full: q.full });
      return true;
    });
  };

  store.outgoingEnqueueCombi = (subs, packet) => outgoingEnqueueCombi.call(store, admit(subs, packet), packet);
  store.outgoingEnqueue = (sub, packet) => outgoingEnqueueCombi.call(store, admit([sub], packet), packet);
  store.outgoingClearMessageId = async (client, packet) => {
    const removed = await outgoingClearMessageId.call(store, client, packet);
    const q = queues.get(client.id);
    if (removed && q) {
      q.messages--;
      q.bytes -= sizeOf(removed);
      // Room again: the next overflow is news worth a log line.
      q.full = false;
      if (q.messages <= 0) queues.delete(client.id);
    }
    return removed;
  };
}
