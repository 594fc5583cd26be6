/**
 * @typedef {object} QueuedItem
 * @property {number} seq   position in the client's call order (flush waits up to a seq)
 * @property {string} id    the event's `event_id`
 * @property {string} json  the event's JSON text, frozen at `track` time
 * @property {number} bytes UTF-8 length of `json`
 */

/**
 * The SDK's bounded FIFO of events waiting to be sent: a ring of `capacity` slots. On
 * overflow it drops the **oldest** event and counts it (`dropped`), so a long outage costs
 * the oldest data and bounded memory, never a crash. No I/O; tested on its own.
 */
export class EventQueue {
  /** @param {number} capacity at least 1 */
  constructor(capacity) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('maxQueueSize must be an integer >= 1');
    this.capacity = capacity;
    /** @type {(QueuedItem | undefined)[]} */
    this.slots = new Array(capacity);
    this.head = 0;
    this.size = 0;
    /** Events dropped on overflow since creation. */
    this.dropped = 0;
  }

  get length() {
    return this.size;
  }

  /** The oldest event, if any. @returns {QueuedItem | undefined} */
  peek() {
    return this.size === 0 ? undefined : this.slots[this.head];
  }

  /** Appends `item`, dropping the oldest when full. @param {QueuedItem} item */
  push(item) {
    if (this.size === this.capacity) {
      this.slots[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.size--;
      this.dropped++;
    }
    this.slots[(this.head + this.size) % this.capacity] = item;
    this.size++;
  }

  /**
   * Puts a batch that could not be sent back at the front, oldest first, keeping the
   * capacity: if the queue filled meanwhile, the oldest of the batch are dropped.
   * @param {QueuedItem[]} items
   */
  putBack(items) {
    for (let i = items.length - 1; i >= 0; i--) {
      if (this.size === this.capacity) {
        this.dropped += i + 1;
        return;
      }
      this.head = (this.head - 1 + this.capacity) % this.capacity;
      this.slots[this.head] = items[i];
      this.size++;
    }
  }

  /**
   * Removes and returns the oldest events: at most `eventsMax`, at most `bytesMax` bytes
   * of JSON (but always one event when not empty).
   * @param {number} eventsMax
   * @param {number} bytesMax
   * @returns {QueuedItem[]}
   */
  take(eventsMax, bytesMax) {
    /** @type {QueuedItem[]} */
    const out = [];
    let bytes = 0;
    while (this.size > 0 && out.length < eventsMax) {
      const item = /** @type {QueuedItem} */ (this.slots[this.head]);
      if (out.length > 0 && bytes + item.bytes + 1 > bytesMax) break;
      bytes += item.bytes + 1;
      out.push(item);
      this.slots[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.size--;
    }
    return out;
  }
}
