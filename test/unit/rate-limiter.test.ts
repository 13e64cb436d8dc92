import { AdaptiveRateLimiter } from '../../lib/rate-limiter';
import { FakeClock } from '../support/fake-clock';

function setup(maxPerSecond = 10) {
  const clock = new FakeClock();
  return { clock, limiter: new AdaptiveRateLimiter(maxPerSecond, clock) };
}

describe('AdaptiveRateLimiter', () => {
  it('lets the first request through at once', async () => {
    const { clock, limiter } = setup();

    await limiter.acquire(Infinity);

    expect(clock.sleeps).toEqual([]);
  });

  it('spaces requests at the configured rate', async () => {
    const { clock, limiter } = setup(10);

    for (let i = 0; i < 3; i++) await limiter.acquire(Infinity);

    expect(clock.sleeps).toEqual([100, 100]);
  });

  it('halves the pace after a throttled response', async () => {
    const { clock, limiter } = setup(10);
    limiter.throttled();

    await limiter.acquire(Infinity);
    await limiter.acquire(Infinity);

    expect(clock.sleeps).toEqual([200]);
  });

  it('never slows below one request per second', () => {
    const { limiter } = setup(10);

    for (let i = 0; i < 20; i++) limiter.throttled();

    expect(limiter.currentPerSecond).toBe(1);
  });

  it('wins the pace back step by step with successes, up to the ceiling', () => {
    const { limiter } = setup(10);
    limiter.throttled();

    limiter.succeeded();
    const afterOne = limiter.currentPerSecond;
    for (let i = 0; i < 50; i++) limiter.succeeded();

    expect(afterOne).toBe(5.5);
    expect(limiter.currentPerSecond).toBe(10);
  });

  it('reports the wait instead of sleeping past the latest acceptable time', async () => {
    const { clock, limiter } = setup(1);
    await limiter.acquire(Infinity);

    const refused = await limiter.acquire(clock.now() + 500);

    expect(refused).toMatchObject({ waitMs: 1_000 });
    expect(clock.sleeps).toEqual([]);
  });

  it('says a refused wait is not throttling while it runs at full pace', async () => {
    const { clock, limiter } = setup(1);
    await limiter.acquire(Infinity);

    const refused = await limiter.acquire(clock.now() + 500);

    expect(refused).toEqual({ waitMs: 1_000, slowedByThrottling: false });
  });

  it('says a refused wait is throttling once a 429 has slowed it down', async () => {
    const { clock, limiter } = setup(2);
    limiter.throttled();
    await limiter.acquire(Infinity);

    const refused = await limiter.acquire(clock.now() + 500);

    expect(refused).toEqual({ waitMs: 1_000, slowedByThrottling: true });
  });
});
