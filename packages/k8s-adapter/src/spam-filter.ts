/**
 * client-go's Event spam filter (`EventSourceObjectSpamFilter`): a token bucket per source object,
 * so a flapping pod cannot flood the API with Events. Each bucket holds up to `burst` tokens and
 * gets one back per `refillMs`; a full bucket is forgotten (memory follows recent activity).
 */

/** One source's bucket. */
interface Bucket {
  /** Tokens left, 0..burst. */
  tokens: number;
  /** When the refill last counted (ms): the next token returns at `updatedAt + refillMs`. */
  updatedAt: number;
}

/** The per-source token buckets (module comment); times are ms on the caller's clock. */
export class SpamFilter {
  /** Tokens a source may spend at once (the bucket's size). */
  readonly #burst: number;
  /** One token returns per this interval, ms. */
  readonly #refillMs: number;
  /** Buckets by source key; a source without one has a full bucket. */
  readonly #buckets = new Map<string, Bucket>();

  /** `burst` ≥ 1 tokens, one back per `refillMs` ms (client-go: 25 and 5 minutes). */
  constructor(burst: number, refillMs: number) {
    this.#burst = burst;
    this.#refillMs = refillMs;
  }

  /** Spends one of `source`'s tokens at `now` (ms); false (nothing spent) when it has none. */
  take(source: string, now: number): boolean {
    const bucket = this.#bucketOf(source, now);
    if (bucket.tokens <= 0) return false;
    if (bucket.tokens === this.#burst) bucket.updatedAt = now;
    bucket.tokens -= 1;
    return true;
  }

  /** How long until `source` has a token, ms from `now`; 0 when it has one. */
  nextTokenIn(source: string, now: number): number {
    const bucket = this.#bucketOf(source, now);
    return bucket.tokens > 0 ? 0 : bucket.updatedAt + this.#refillMs - now;
  }

  /** Forgets the buckets that are full again at `now`. */
  sweep(now: number): void {
    for (const [source] of this.#buckets) {
      if (this.#bucketOf(source, now).tokens === this.#burst) this.#buckets.delete(source);
    }
  }

  /** `source`'s bucket, refilled up to `now`. */
  #bucketOf(source: string, now: number): Bucket {
    let bucket = this.#buckets.get(source);
    if (bucket === undefined) {
      bucket = { tokens: this.#burst, updatedAt: now };
      this.#buckets.set(source, bucket);
    }
    const refills = Math.floor((now - bucket.updatedAt) / this.#refillMs);
    if (refills > 0) {
      bucket.tokens = Math.min(this.#burst, bucket.tokens + refills);
      bucket.updatedAt = bucket.tokens === this.#burst ? now : bucket.updatedAt + refills * this.#refillMs;
    }
    return bucket;
  }
}
