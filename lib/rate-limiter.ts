import type { Clock } from './clock';

/**
 * Paces upstream requests to at most `maxPerSecond`, adaptively: a 429 halves the pace (down to
 * a floor), each success wins back a little of it. Huawei throttles per account and locks up on
 * abuse, so a poll slows down instead of failing.
 */
export class AdaptiveRateLimiter {
  #perSecond: number;
  #nextSlot = 0;
  readonly #floor: number;

  constructor(
    private readonly maxPerSecond: number,
    private readonly clock: Clock,
  ) {
    this.#perSecond = maxPerSecond;
    this.#floor = Math.min(1, maxPerSecond);
  }

  get currentPerSecond(): number {
    return this.#perSecond;
  }

  /**
   * Waits for this request's slot (slots are reserved in call order, so waiting is fair).
   * Returns the wait it would need instead, reserving nothing, when the slot lies after `latest`,
   * and whether Huawei's 429s are what pushed it there: otherwise the caller simply ran out of
   * time, which must not be reported as throttling.
   */
  async acquire(
    latest: number,
    signal?: AbortSignal,
  ): Promise<{ waitMs: number; slowedByThrottling: boolean } | undefined> {
    const now = this.clock.now();
    const slot = Math.max(now, this.#nextSlot);
    if (slot > latest) {
      return { waitMs: slot - now, slowedByThrottling: this.#perSecond < this.maxPerSecond };
    }
    this.#nextSlot = slot + 1000 / this.#perSecond;
    if (slot > now) await this.clock.sleep(slot - now, signal);
    return undefined;
  }

  throttled(): void {
    this.#perSecond = Math.max(this.#floor, this.#perSecond / 2);
  }

  succeeded(): void {
    this.#perSecond = Math.min(this.maxPerSecond, this.#perSecond + this.maxPerSecond / 20);
  }
}
