/** One line of the doctor's report. `warn` and `skip` are shown but do not fail the run. */
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  /** What was found. Never a secret: tokens, keys and passwords are described, not printed. */
  detail: string;
  /** What to do about a failure or warning. */
  fix?: string;
}

export const pass = (name: string, detail: string): CheckResult => ({ name, status: 'pass', detail });
export const fail = (name: string, detail: string, fix: string): CheckResult => ({ name, status: 'fail', detail, fix });
export const warn = (name: string, detail: string, fix: string): CheckResult => ({ name, status: 'warn', detail, fix });
export const skip = (name: string, detail: string): CheckResult => ({ name, status: 'skip', detail });

const MARK: Record<CheckStatus, string> = { pass: '✓', fail: '✗', warn: '!', skip: '-' };

export function formatCheck(r: CheckResult): string {
  const detail = r.status === 'skip' ? `skipped: ${r.detail}` : r.detail;
  return `${MARK[r.status]} ${r.name.padEnd(20)} ${detail}${r.fix ? ` → fix: ${r.fix}` : ''}`;
}

export const exitCodeOf = (results: readonly CheckResult[]): number =>
  results.some((r) => r.status === 'fail') ? 1 : 0;
