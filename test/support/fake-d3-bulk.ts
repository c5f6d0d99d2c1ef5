import type { FakeIncident } from './fake-d3.ts';

/**
 * What the fake D3 does with one incident of a CloseIncidentInBulk call: fail it with D3's words (an
 * entry whose Result is "Failed"; the shape of a failed entry is a guess, D3 documents only success),
 * or leave its entry out of the reply, having closed it (`acts: true`) or not.
 */
export type BulkItemFault = { fail: string } | { omit: true; acts: boolean };

/** The numbers of a CloseIncidentInBulk body. */
export function bulkNumbers(body: unknown): string[] {
  const many = (body as { CommandParams?: Record<string, unknown> } | null)?.CommandParams?.['Incident Numbers'];
  return Array.isArray(many) ? many.map(String) : [];
}

/** D3's documented reply: one entry per incident, `{ Incident Number, Status, Close Date, Result, Closed By }`. */
export function bulkReply(
  numbers: string[],
  o: {
    incidents: Map<string, FakeIncident>;
    faults: Map<string, BulkItemFault>;
    username: string;
    closedByName: string;
    date: () => string;
  },
): object {
  const entries: object[] = [];
  for (const n of numbers) {
    const fault = o.faults.get(n);
    const known = o.incidents.get(n);
    if (fault && 'fail' in fault) {
      entries.push({ 'Incident Number': n, Status: known?.status ?? 'Open', Result: 'Failed', Message: fault.fail });
      continue;
    }
    if (known?.status === 'Closed') {
      entries.push({
        'Incident Number': n,
        Status: 'Closed',
        Result: 'Failed',
        Message: 'Incident is already closed.',
      });
      continue;
    }
    const closeDate = o.date();
    const acts = !fault || fault.acts;
    if (acts) o.incidents.set(n, { status: 'Closed', closedBy: o.username, dateClosed: closeDate });
    if (fault) continue;
    entries.push({
      'Incident Number': n,
      Status: 'Closed',
      'Close Date': closeDate,
      Result: 'Successful',
      'Closed By': o.closedByName,
    });
  }
  return { error: '', returnData: 'Successful', contextData: entries };
}
