/** The error a promise rejects with; throws if it resolves (so a missing failure fails the test). */
export async function rejection(
  p: Promise<unknown>,
): Promise<Error & { code: string; detail: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code: string; detail: Record<string, unknown> };
  }
  throw new Error('expected a rejection');
}
