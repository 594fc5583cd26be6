/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And
 * Jitter"): retry `n` (0-based) waits a uniformly random time in `[0, min(capMs, baseMs * 2^n)]`,
 * or the server's `Retry-After` when it sent one (capped at `retryAfterMaxMs`).
 */
export class RetryPolicy {
  /**
   * @param {{baseMs?: number, capMs?: number, maxRetries?: number, retryAfterMaxMs?: number}} [options]
   */
  constructor({ baseMs = 100, capMs = 10_000, maxRetries = 8, retryAfterMaxMs = 60_000 } = {}) {
    /** First backoff ceiling, ms. */
    this.baseMs = baseMs;
    /** Largest backoff ceiling, ms. */
    this.capMs = capMs;
    /** Retries after the first attempt before a flush gives up (`Infinity`: never). */
    this.maxRetries = maxRetries;
    /** Largest server hint honoured, ms (a hostile or broken hint cannot stall the client for hours). */
    this.retryAfterMaxMs = retryAfterMaxMs;
  }

  /** `min(capMs, baseMs * 2^attempt)`. @param {number} attempt */
  ceilingMs(attempt) {
    return Math.min(this.capMs, this.baseMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  }

  /**
   * The wait before retry number `attempt` (0-based) after `error`.
   * @param {number} attempt
   * @param {{retryAfterMs?: number} | undefined} error
   * @param {() => number} [random] uniform in [0, 1)
   * @returns {number} milliseconds
   */
  delayMs(attempt, error, random = Math.random) {
    if (error && typeof error.retryAfterMs === 'number') return Math.min(error.retryAfterMs, this.retryAfterMaxMs);
    return Math.floor(random() * (this.ceilingMs(attempt) + 1));
  }
}
