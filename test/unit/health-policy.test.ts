import { ConfigurationError } from '../../lib/errors';
import { loadHealthPolicy } from '../../lib/health/health-policy';

function refusal(env: Record<string, string>): string {
  try {
    loadHealthPolicy(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error('expected the policy to be refused');
}

describe('loadHealthPolicy', () => {
  it('holds RESTARTING for 15 minutes, CREATING for 30 and 3 failed polls by default', () => {
    const policy = loadHealthPolicy({});

    expect([...policy.stuckAfterMs]).toEqual([
      ['RESTARTING', 15 * 60_000],
      ['CREATING', 30 * 60_000],
    ]);
    expect(policy.unobservableAfter).toBe(3);
  });

  it('reads STUCK_AFTER in seconds, minutes and hours', () => {
    const policy = loadHealthPolicy({ STUCK_AFTER: 'WAITING=90s, PAUSED=2h,RESTARTING=1m' });

    expect([...policy.stuckAfterMs]).toEqual([
      ['WAITING', 90_000],
      ['PAUSED', 7_200_000],
      ['RESTARTING', 60_000],
    ]);
  });

  it('takes an empty STUCK_AFTER as no status ever stuck', () => {
    expect(loadHealthPolicy({ STUCK_AFTER: '' }).stuckAfterMs.size).toBe(0);
  });

  it.each([
    ['a lowercase status', 'restarting=15m'],
    ['no unit', 'RESTARTING=15'],
    ['under a second', 'RESTARTING=0s'],
    ['over a week', 'RESTARTING=169h'],
    ['a status twice', 'RESTARTING=1m,RESTARTING=2m'],
    ['an empty entry', 'RESTARTING=1m,,CREATING=2m'],
  ])('refuses STUCK_AFTER with %s, naming the variable and the entry', (_what, value) => {
    const message = refusal({ STUCK_AFTER: value });

    expect(message).toMatch(/^Invalid configuration: STUCK_AFTER entry \d must be/);
  });

  it.each(['0', '1001', '2.5', 'three'])('refuses UNOBSERVABLE_AFTER=%s naming it', (value) => {
    expect(refusal({ UNOBSERVABLE_AFTER: value })).toContain('UNOBSERVABLE_AFTER');
  });
});
