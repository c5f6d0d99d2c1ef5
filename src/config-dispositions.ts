import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { checkDispositions, type Disposition, parseDispositionList } from './domain/disposition.ts';

/**
 * The close reasons the operator allows: DISPOSITIONS (`fp=False Positive,tp=True Positive`) or a
 * YAML file beside the user map (DISPOSITIONS_FILE, see config/dispositions.example.yml). Problems
 * come back as `NAME: rule` lines for loadConfig, never with a secret (there is none here).
 */
const File = z.strictObject({
  dispositions: z.record(z.string(), z.string().trim()),
});

/** D3_INCIDENT_URL_TEMPLATE: an https address with `{number}` where the incident number goes. */
export const incidentUrlTemplate = z
  .string()
  .refine((t) => t.includes('{number}'), { message: 'must contain {number}' })
  .refine((t) => URL.canParse(t.replaceAll('{number}', '1')) && t.startsWith('https://'), {
    message: 'must be an https URL, e.g. https://soar.example.com/Prod/VSOC/Incident/{number}',
  });

export function loadDispositions(e: {
  DISPOSITIONS?: string;
  DISPOSITIONS_FILE?: string;
  DISPOSITION_REQUIRED?: boolean;
}): {
  list: Disposition[];
  problems: string[];
} {
  if (e.DISPOSITION_REQUIRED && !e.DISPOSITIONS && !e.DISPOSITIONS_FILE)
    return {
      list: [],
      problems: ['DISPOSITION_REQUIRED: needs DISPOSITIONS or DISPOSITIONS_FILE to list the allowed ones'],
    };
  if (e.DISPOSITIONS && e.DISPOSITIONS_FILE)
    return { list: [], problems: ['DISPOSITIONS: set either DISPOSITIONS or DISPOSITIONS_FILE, not both'] };
  if (e.DISPOSITIONS) {
    const r = parseDispositionList(e.DISPOSITIONS);
    return 'problem' in r ? { list: [], problems: [`DISPOSITIONS: ${r.problem}`] } : { list: r.list, problems: [] };
  }
  if (!e.DISPOSITIONS_FILE) return { list: [], problems: [] };
  let text: string;
  try {
    text = readFileSync(e.DISPOSITIONS_FILE, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'unreadable';
    return { list: [], problems: [`DISPOSITIONS_FILE: cannot be read (${code})`] };
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0)
    return { list: [], problems: [`DISPOSITIONS_FILE: is not valid YAML (${doc.errors[0]?.message.split('\n')[0]})`] };
  const parsed = File.safeParse(doc.toJS());
  if (!parsed.success)
    return { list: [], problems: ['DISPOSITIONS_FILE: must be a map "dispositions:" of short form → D3 name'] };
  const r = checkDispositions(Object.entries(parsed.data.dispositions).map(([short, name]) => ({ short, name })));
  return 'problem' in r ? { list: [], problems: [`DISPOSITIONS_FILE: ${r.problem}`] } : { list: r.list, problems: [] };
}
