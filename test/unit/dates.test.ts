import { describe, expect, it } from 'vitest';
import { slackDate, slackDateOfD3, slackDateOfIso } from '../../src/slack/render/dates.ts';

describe('dates in Slack’s own token', () => {
  it('writes the token with the text as the fallback, escaped', () => {
    expect(slackDate(1590484020, 'May 26 <b> | x')).toBe(
      '<!date^1590484020^{date_short_pretty} {time}|May 26 &lt;b&gt; / x>',
    );
  });

  it('turns our ISO timestamps into tokens with a UTC fallback', () => {
    expect(slackDateOfIso('2025-03-11T14:05:00.123Z')).toBe(
      '<!date^1741701900^{date_short_pretty} {time}|2025-03-11 14:05:00 UTC>',
    );
    expect(slackDateOfIso('<!here>')).toBe('&lt;!here&gt;');
  });

  it('uses D3’s text as the fallback when its date names one instant, and D3’s text alone otherwise', () => {
    const token = slackDateOfD3('May 26, 2020 17:07 China Standard Time');
    expect(token).toBe('<!date^1590484020^{date_short_pretty} {time}|May 26, 2020 17:07 China Standard Time>');
    expect(slackDateOfD3('2020-05-26 17:07')).toBe('2020-05-26 17:07');
    expect(slackDateOfD3('2020-05-26 17:07', 'Asia/Shanghai')).toBe(
      '<!date^1590484020^{date_short_pretty} {time}|2020-05-26 17:07>',
    );
    expect(slackDateOfD3('soon')).toBe('soon');
  });
});
