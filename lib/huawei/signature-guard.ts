import type { UpstreamError } from '../errors';

/**
 * Huawei locks an AK for five minutes after five failed signatures in a row, which would fail
 * every task of the account. Two is enough to tell a stale cached secret (the first 401, then a
 * re-read) from a wrong one (a 401 with what the secret holds now).
 */
export const MAX_FAILED_SIGNATURES = 2;

/** What Huawei made of one signed request. Exactly one of these is called; later calls are ignored. */
export interface Admission {
  /** Huawei authenticated the signature (any answer but 401). */
  accepted(): void;
  /** Huawei refused it: after `MAX_FAILED_SIGNATURES` of these, or a `final` one, `refusal` answers instead. */
  rejected(refusal: () => UpstreamError, final?: boolean): void;
  /** No answer that says anything about the signature (timeout, reset, not sent). */
  inconclusive(): void;
}

export interface Refused {
  readonly refusal: () => UpstreamError;
}

interface KeyState {
  trusted: boolean;
  failures: number;
  refusal: (() => UpstreamError) | undefined;
  /** Settles when the one request allowed out with an untrusted AK has its answer. */
  probe: Promise<void> | undefined;
}

/**
 * Decides, per AK and per invocation, whether a request may be signed with it. An AK Huawei has
 * accepted in this invocation signs freely; until then, one request at a time goes out with it
 * (the rest wait for its answer), so a wrong secret costs a poll of any size two failed
 * signatures, not one per task. Once Huawei has refused an AK for good, nothing more is signed
 * with it until the next invocation, which gives it another chance: the secret, the Huawei IAM
 * user or the clock may have been fixed meanwhile.
 *
 * Requests already in flight when an accepted AK starts failing (it was deleted or rotated
 * mid-poll) cannot be recalled: up to the poll's concurrency of them may fail.
 */
export class SignatureGuard {
  readonly #keys = new Map<string, KeyState>();

  /** Called as each invocation starts. */
  startInvocation(): void {
    this.#keys.clear();
  }

  async admit(accessKeyId: string): Promise<Admission | Refused> {
    const state = this.#state(accessKeyId);
    for (;;) {
      if (state.refusal) return { refusal: state.refusal };
      if (state.trusted) return this.#admission(state, false);
      if (!state.probe) return this.#admission(state, true);
      await state.probe;
    }
  }

  #state(accessKeyId: string): KeyState {
    let state = this.#keys.get(accessKeyId);
    if (!state) {
      state = { trusted: false, failures: 0, refusal: undefined, probe: undefined };
      this.#keys.set(accessKeyId, state);
    }
    return state;
  }

  #admission(state: KeyState, probing: boolean): Admission {
    let release = () => {};
    if (probing) {
      state.probe = new Promise<void>((resolve) => {
        release = () => {
          state.probe = undefined;
          resolve();
        };
      });
    }
    let settled = false;
    const settle = (update: () => void) => {
      if (settled) return;
      settled = true;
      update();
      release();
    };
    return {
      accepted: () =>
        settle(() => {
          state.trusted = true;
          state.failures = 0;
        }),
      rejected: (refusal, final = false) =>
        settle(() => {
          state.trusted = false;
          state.failures += 1;
          if (final || state.failures >= MAX_FAILED_SIGNATURES) state.refusal ??= refusal;
        }),
      inconclusive: () => settle(() => {}),
    };
  }
}
