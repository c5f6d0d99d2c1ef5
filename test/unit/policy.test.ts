import { describe, expect, it } from 'vitest';
import { decideOrigin, type Installation } from '../../src/domain/policy.ts';

describe('where a request may come from', () => {
  const workspace: Installation = { teamId: 'T1234', enterpriseInstall: false };
  const inGrid: Installation = { teamId: 'T1234', enterpriseId: 'E1', enterpriseInstall: false };
  const orgWide: Installation = { teamId: '', enterpriseId: 'E1', enterpriseInstall: true };
  const refused = (teamIds: (string | undefined)[], enterpriseIds: (string | undefined)[], inst: Installation) =>
    decideOrigin({ teamIds, enterpriseIds }, inst)?.code;

  it.each<[string, (string | undefined)[], (string | undefined)[], Installation, string | undefined]>([
    ['the installing workspace', ['T1234'], [], workspace, undefined],
    ['another workspace', ['T9999'], [], workspace, 'foreign_workspace'],
    ['a view whose user belongs to another team', ['T1234', 'T9999'], [], workspace, 'foreign_workspace'],
    ['no team at all', [undefined, ''], [], workspace, 'foreign_workspace'],
    ['an Enterprise org the workspace is not in', ['T1234'], ['E9'], workspace, 'foreign_workspace'],
    ['the grid workspace, naming its org', ['T1234'], ['E1'], inGrid, undefined],
    ['the grid workspace, not naming its org', ['T1234'], [], inGrid, undefined],
    ['another workspace of the same org, for a workspace install', ['T5555'], ['E1'], inGrid, 'foreign_workspace'],
    ['any workspace of the org, for an org-wide install', ['T5555'], ['E1'], orgWide, undefined],
    ['another org, for an org-wide install', ['T5555'], ['E2'], orgWide, 'foreign_workspace'],
    ['no org, for an org-wide install', ['T5555'], [], orgWide, 'foreign_workspace'],
  ])('%s', (_what, teams, enterprises, inst, expected) => {
    expect(refused(teams, enterprises, inst)).toBe(expected);
  });
});
