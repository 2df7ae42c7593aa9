import { AppError, problems } from './errors';

/**
 * At most `limit` of one kind of expensive work at a time on this instance; beyond that a caller is told to
 * come back (429 with `Retry-After`) instead of slowing everyone else down.
 */
export class ConcurrencyGate {
  private running = 0;

  constructor(
    private readonly limit: number,
    private readonly retryAfterSeconds: number,
    private readonly what: string,
  ) {}

  /** Takes a place or throws 429; the returned release may be called more than once. */
  enter(): () => void {
    if (this.running >= this.limit) {
      throw new AppError(
        problems.tooManyRequests,
        `This instance is producing ${this.limit} ${this.what} already; retry in ${this.retryAfterSeconds} s.`,
        { headers: { 'retry-after': String(this.retryAfterSeconds) } },
      );
    }
    this.running += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running -= 1;
    };
  }
}
