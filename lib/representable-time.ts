/**
 * RFC 3339 timestamps have four-digit years, and a task cannot have been created before the
 * epoch: anything outside this window is garbage rather than a time, and `new Date()` would
 * throw a RangeError on part of it.
 */
export const LATEST_REPRESENTABLE_EPOCH_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
