import { UpstreamRejectedError } from '../../lib/errors';
import {
  MAX_FAILED_SIGNATURES,
  SignatureGuard,
  type Admission,
  type Refused,
} from '../../lib/huawei/signature-guard';

const AK = 'AKGUARDTEST000000001';
const OTHER_AK = 'AKGUARDTEST000000002';
const refusal = () => new UpstreamRejectedError(401);

function admitted(verdict: Admission | Refused): Admission {
  if ('refusal' in verdict) throw new Error('expected an admission');
  return verdict;
}

/** Resolves to whether `promise` settled within a few turns of the event loop. */
async function settlesSoon(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true));
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('SignatureGuard', () => {
  it('lets one request out with an AK not yet accepted, and holds the next until its answer', async () => {
    const guard = new SignatureGuard();
    const first = admitted(await guard.admit(AK));

    const second = guard.admit(AK);

    expect(await settlesSoon(second)).toBe(false);
    first.accepted();
    expect(await settlesSoon(second)).toBe(true);
  });

  it('lets every request out at once with an AK accepted in this invocation', async () => {
    const guard = new SignatureGuard();
    admitted(await guard.admit(AK)).accepted();

    const many = Promise.all([guard.admit(AK), guard.admit(AK), guard.admit(AK)]);

    expect(await settlesSoon(many)).toBe(true);
  });

  it('hands the next request the turn after an answer that says nothing of the signature', async () => {
    const guard = new SignatureGuard();
    const first = admitted(await guard.admit(AK));
    const second = guard.admit(AK);
    const third = guard.admit(AK);

    first.inconclusive();

    expect(await settlesSoon(second)).toBe(true);
    expect(await settlesSoon(third)).toBe(false);
  });

  it(`refuses an AK after ${MAX_FAILED_SIGNATURES} rejected signatures, with the refusal given`, async () => {
    const guard = new SignatureGuard();
    for (let i = 0; i < MAX_FAILED_SIGNATURES; i += 1) {
      admitted(await guard.admit(AK)).rejected(refusal);
    }

    const verdict = await guard.admit(AK);

    expect('refusal' in verdict && verdict.refusal()).toBeInstanceOf(UpstreamRejectedError);
  });

  it('still admits an AK after fewer rejected signatures', async () => {
    const guard = new SignatureGuard();
    admitted(await guard.admit(AK)).rejected(refusal);

    const verdict = await guard.admit(AK);

    expect('refusal' in verdict).toBe(false);
  });

  it('counts rejections in a row: an accepted signature starts the count again', async () => {
    const guard = new SignatureGuard();
    admitted(await guard.admit(AK)).rejected(refusal);
    admitted(await guard.admit(AK)).accepted();
    admitted(await guard.admit(AK)).rejected(refusal);

    const verdict = await guard.admit(AK);

    expect('refusal' in verdict).toBe(false);
  });

  it('refuses an AK after one final rejection', async () => {
    const guard = new SignatureGuard();
    admitted(await guard.admit(AK)).rejected(refusal, true);

    const verdict = await guard.admit(AK);

    expect('refusal' in verdict).toBe(true);
  });

  it('wakes the requests waiting on a rejected probe with the refusal', async () => {
    const guard = new SignatureGuard();
    admitted(await guard.admit(AK)).rejected(refusal);
    const probe = admitted(await guard.admit(AK));
    const waiting = guard.admit(AK);

    probe.rejected(refusal);

    expect('refusal' in (await waiting)).toBe(true);
  });

  it('judges each AK on its own', async () => {
    const guard = new SignatureGuard();
    admitted(await guard.admit(AK)).rejected(refusal, true);

    const verdict = await guard.admit(OTHER_AK);

    expect('refusal' in verdict).toBe(false);
  });

  it('forgets every verdict when an invocation starts', async () => {
    const guard = new SignatureGuard();
    admitted(await guard.admit(AK)).rejected(refusal, true);

    guard.startInvocation();
    const verdict = await guard.admit(AK);

    expect('refusal' in verdict).toBe(false);
  });

  it('keeps the first verdict of an admission and ignores what is said after', async () => {
    const guard = new SignatureGuard();
    const first = admitted(await guard.admit(AK));
    first.accepted();
    first.rejected(refusal, true);

    const verdict = await guard.admit(AK);

    expect('refusal' in verdict).toBe(false);
  });

  it('holds requests back again once an accepted AK is rejected', async () => {
    const guard = new SignatureGuard();
    admitted(await guard.admit(AK)).accepted();
    admitted(await guard.admit(AK)).rejected(refusal);

    const probe = guard.admit(AK);
    const next = guard.admit(AK);

    expect(await settlesSoon(probe)).toBe(true);
    expect(await settlesSoon(next)).toBe(false);
  });

  it('keeps the turn of a new probe when a request let out while the AK was trusted settles', async () => {
    const guard = new SignatureGuard();
    admitted(await guard.admit(AK)).accepted();
    const first = admitted(await guard.admit(AK));
    const second = admitted(await guard.admit(AK));
    first.rejected(refusal);
    admitted(await guard.admit(AK));

    second.inconclusive();
    const next = guard.admit(AK);

    expect(await settlesSoon(next)).toBe(false);
  });
});
