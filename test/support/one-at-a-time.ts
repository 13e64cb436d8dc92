/**
 * A queue of asynchronous work: each piece starts once every piece queued before it has settled,
 * in the order queued. A failure is its caller's alone; the queue goes on.
 */
export function oneAtATime(): <T>(work: () => Promise<T>) => Promise<T> {
  let last: Promise<unknown> = Promise.resolve();
  return (work) => {
    const run = last.then(work);
    last = run.catch(() => undefined);
    return run;
  };
}
