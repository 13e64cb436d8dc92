/** JSON.parse for text from outside: undefined instead of an exception, for a schema to reject. */
export function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
