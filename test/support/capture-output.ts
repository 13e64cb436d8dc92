/** The JSON lines (logs and EMF metrics) written to stdout or stderr while `act` runs. */
export async function captureJsonLines(
  act: () => Promise<unknown>,
): Promise<Record<string, unknown>[]> {
  const lines: Record<string, unknown>[] = [];
  const capture = (chunk: unknown) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString() : '';
    for (const line of text.split('\n')) {
      if (line.trimStart().startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
    }
    return true;
  };
  // Powertools writes error logs to stderr, everything else to stdout.
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(capture),
    jest.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
  try {
    await act();
  } finally {
    spies.forEach((spy) => spy.mockRestore());
  }
  return lines;
}
