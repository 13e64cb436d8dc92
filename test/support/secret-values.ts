/**
 * What a secret-contents test must never find in any output: the secret and each string field in
 * it, trimmed, when long enough (12 characters) that finding it in our own wording cannot be a
 * coincidence.
 */
export function secretValuesIn(secret: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secret);
  } catch {
    parsed = undefined;
  }
  const fields = parsed !== null && typeof parsed === 'object' ? Object.values(parsed) : [];
  return [secret, ...fields.filter((v): v is string => typeof v === 'string')]
    .map((v) => v.trim())
    .filter((v) => v.length >= 12);
}
