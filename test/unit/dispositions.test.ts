import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { parseFieldsReply } from '../../src/d3/fields-reply.ts';
import { chooseDisposition } from '../../src/domain/disposition.ts';

const good = {
  SLACK_BOT_TOKEN: 'xoxb-123-abc',
  SLACK_SIGNING_SECRET: 'signing-secret-value',
  D3_BASE_URL: 'https://soar.example.com/Prod',
  D3_API_NAMESPACE: 'VSOC',
  D3_API_KEY: 'very-secret-d3-key',
};

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...good, ...env });
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error('loadConfig accepted the environment');
}

const file = (text: string) => {
  const path = join(mkdtempSync(join(tmpdir(), 'dispositions-')), 'dispositions.yml');
  writeFileSync(path, text);
  return path;
};

describe('configured close reasons', () => {
  it('reads DISPOSITIONS and the example YAML file', () => {
    expect(loadConfig({ ...good, DISPOSITIONS: 'fp=False Positive, tp = True Positive' }).dispositions.list).toEqual([
      { short: 'fp', name: 'False Positive' },
      { short: 'tp', name: 'True Positive' },
    ]);
    const c = loadConfig({ ...good, DISPOSITIONS_FILE: 'config/dispositions.example.yml' });
    expect(c.dispositions.list[0]).toEqual({ short: 'fp', name: 'False Positive' });
  });

  it('names each broken rule at start-up', () => {
    expect(problems({ DISPOSITIONS: 'fp' })).toEqual([expect.stringMatching(/^DISPOSITIONS: "fp" has no name/)]);
    expect(problems({ DISPOSITIONS: 'fp=A,FP=B' })).toEqual(['DISPOSITIONS: short form "FP" is listed twice']);
    expect(problems({ DISPOSITIONS: 'f p=A' })[0]).toMatch(/^DISPOSITIONS: short form "f p" must be/);
    expect(problems({ DISPOSITIONS_FILE: file('dispositions: [fp]') })[0]).toMatch(/^DISPOSITIONS_FILE: must be a map/);
    expect(problems({ DISPOSITIONS_FILE: '/nonexistent/d.yml' })[0]).toMatch(/^DISPOSITIONS_FILE: cannot be read/);
    expect(problems({ DISPOSITION_REQUIRED: 'true' })).toEqual([
      'DISPOSITION_REQUIRED: needs DISPOSITIONS or DISPOSITIONS_FILE to list the allowed ones',
    ]);
    expect(problems({ D3_INCIDENT_URL_TEMPLATE: 'http://soar.example.com/{number}' })[0]).toMatch(
      /^D3_INCIDENT_URL_TEMPLATE: must be an https URL/,
    );
    expect(problems({ D3_INCIDENT_URL_TEMPLATE: 'https://soar.example.com/x' })[0]).toMatch(/must contain \{number\}/);
  });

  it('takes a short form only as the first word with a colon, and only when reasons are configured', () => {
    const rules = { list: [{ short: 'fp', name: 'False Positive' }], required: false };
    expect(chooseDisposition(rules, { note: 'FP: benign', noteMayName: true })).toMatchObject({
      disposition: { name: 'False Positive' },
      note: 'benign',
    });
    expect(chooseDisposition(rules, { note: 'benign fp: scanner', noteMayName: true })).toEqual({
      note: 'benign fp: scanner',
    });
    expect(chooseDisposition(undefined, { note: 'fp: benign', noteMayName: true })).toEqual({ note: 'fp: benign' });
    expect(chooseDisposition(rules, { note: 'fp: benign' })).toEqual({ note: 'fp: benign' });
  });
});

describe('parseFieldsReply (SetIncidentFieldsInBulk)', () => {
  const N = '20200526-23';
  const reply = (o: object) => JSON.stringify(o);
  it('accepts only a proven yes', () => {
    expect(() => parseFieldsReply(200, reply({ error: '', returnData: 'Successful' }), N)).not.toThrow();
    expect(() =>
      parseFieldsReply(
        200,
        reply({ error: '', returnData: '', contextData: [{ IncidentNumber: N, Result: 'Successful' }] }),
        N,
      ),
    ).not.toThrow();
    expect(() => parseFieldsReply(200, reply({ error: '', returnData: '' }), N)).toThrow(
      expect.objectContaining({ code: 'd3_bad_reply' }),
    );
    expect(() => parseFieldsReply(200, reply({ error: 'no such field', returnData: '' }), N)).toThrow(
      expect.objectContaining({ code: 'd3_rejected', detail: expect.objectContaining({ d3Message: 'no such field' }) }),
    );
    expect(() =>
      parseFieldsReply(
        200,
        reply({ error: '', returnData: 'Successful', contextData: [{ IncidentNumber: N, Result: 'Failed' }] }),
        N,
      ),
    ).toThrow(expect.objectContaining({ code: 'd3_rejected' }));
  });
});
