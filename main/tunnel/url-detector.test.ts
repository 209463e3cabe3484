import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findQuickTunnelUrl, QuickTunnelUrlDetector } from './url-detector.ts';

const URL = 'https://seasonal-deck-organisms-sf.trycloudflare.com';
const rule = `2024-05-14T10:21:35Z INF +${'-'.repeat(92)}+\n`;
/** What cloudflared prints on stderr when a quick tunnel comes up. */
const STARTUP = [
  '2024-05-14T10:21:31Z INF Thank you for trying Cloudflare Tunnel. Doing so, without a Cloudflare account, is a quick way to experiment and try it out. However, be aware that these account-less Tunnels have no uptime guarantee, are subject to the Cloudflare Online Services Terms of Use (https://www.cloudflare.com/website-terms/), and Cloudflare reserves the right to investigate your use of Tunnels for violations of such terms. If you intend to use Tunnels in production you should use a pre-created named tunnel by following: https://developers.cloudflare.com/cloudflare-one/connections/connect-networks/\n',
  '2024-05-14T10:21:31Z INF Requesting new quick Tunnel on trycloudflare.com...\n',
].join('');
const BOX = [
  rule,
  `2024-05-14T10:21:35Z INF |  ${'Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):'.padEnd(88)}  |\n`,
  `2024-05-14T10:21:35Z INF |  ${URL.padEnd(88)}  |\n`,
  rule,
  '2024-05-14T10:21:35Z INF Registered tunnel connection connIndex=0 connection=4b1c2d3e event=0 ip=198.41.192.227 location=ams08 protocol=quic\n',
].join('');
const API_ERRORS = [
  '2024-05-14T10:21:46Z ERR Error unmarshaling QuickTunnel response: error="invalid character \'<\' looking for beginning of value" status_code="502 Bad Gateway"\n',
  'failed to request quick Tunnel: Post "https://api.trycloudflare.com/tunnel": dial tcp: lookup api.trycloudflare.com on 127.0.0.53:53: server misbehaving\n',
].join('');

describe('quick tunnel URL detection', () => {
  it('finds the URL in the box cloudflared prints', () => {
    expect(findQuickTunnelUrl(STARTUP + BOX)).toBe(URL);
    const d = new QuickTunnelUrlDetector();
    expect(d.feed(STARTUP)).toBeNull();
    expect(d.feed(BOX)).toBe(URL);
    expect(d.url).toBe(URL);
  });

  it('never takes api.trycloudflare.com from error lines, nor the host name the start-up line mentions', () => {
    const d = new QuickTunnelUrlDetector();
    expect(d.feed(STARTUP)).toBeNull();
    expect(d.feed(API_ERRORS)).toBeNull();
    expect(d.end()).toBeNull();
    expect(findQuickTunnelUrl(`${API_ERRORS}${BOX}`)).toBe(URL);
    expect(findQuickTunnelUrl('see https://api.trycloudflare.com and https://www.trycloudflare.com ')).toBeNull();
  });

  it('finds a URL split across chunks whole, at every cut point, never a prefix of it', () => {
    const text = API_ERRORS + BOX;
    for (let cut = 0; cut <= text.length; cut++) {
      const d = new QuickTunnelUrlDetector();
      const first = d.feed(text.slice(0, cut));
      // Whatever the first piece ends with, it is either nothing yet or the whole URL.
      expect(first === null || first === URL).toBe(true);
      expect(d.feed(text.slice(cut))).toBe(URL);
    }
  });

  it('finds it however the output is chunked (property)', () => {
    const text = STARTUP + API_ERRORS + BOX;
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: text.length - 1 }), { maxLength: 40 }), (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), text.length];
        const d = new QuickTunnelUrlDetector();
        const seen = new Set<string>();
        for (let i = 1; i < points.length; i++) {
          const url = d.feed(text.slice(points[i - 1], points[i]));
          if (url !== null) seen.add(url);
        }
        expect([...seen]).toEqual([URL]);
      }),
    );
  });

  it('also one character at a time', () => {
    const d = new QuickTunnelUrlDetector();
    let found: string | null = null;
    for (const ch of API_ERRORS + BOX) found = d.feed(ch) ?? found;
    expect(found).toBe(URL);
  });

  it('takes a URL at the very end of the stream once the stream ends', () => {
    const d = new QuickTunnelUrlDetector();
    expect(d.feed(`INF |  ${URL}`)).toBeNull();
    expect(d.end()).toBe(URL);
  });

  it('waits for the end of the name: a longer host or a different domain is not the URL', () => {
    const d = new QuickTunnelUrlDetector();
    expect(d.feed('x https://abc.trycloudflare.com')).toBeNull();
    expect(d.feed('.evil.example |\n')).toBeNull();
    expect(d.feed('x https://abc.trycloudflare.co')).toBeNull();
    expect(d.feed('mmunity |\n')).toBeNull();
  });

  it.each([
    ['uppercase letters', 'https://Seasonal-Deck.trycloudflare.com '],
    ['plain http', 'http://seasonal-deck.trycloudflare.com '],
    ['two labels', 'https://a.b.trycloudflare.com '],
    ['a leading hyphen', 'https://-deck.trycloudflare.com '],
    ['a trailing hyphen', 'https://deck-.trycloudflare.com '],
    ['an underscore', 'https://deck_x.trycloudflare.com '],
    ['no name', 'https://trycloudflare.com '],
    ['a port', 'https://deck.trycloudflare.com:8443 '],
    ['a lookalike domain', 'https://deck.trycloudflare.com.evil.example '],
  ])('refuses %s', (_what, text) => {
    expect(findQuickTunnelUrl(text)).toBeNull();
  });

  it('accepts names of lowercase letters, digits and hyphens, and a URL followed by a path or a quote', () => {
    expect(findQuickTunnelUrl('|  https://a1-b2-c3.trycloudflare.com  |')).toBe('https://a1-b2-c3.trycloudflare.com');
    expect(findQuickTunnelUrl('"https://x.trycloudflare.com"')).toBe('https://x.trycloudflare.com');
    expect(findQuickTunnelUrl('https://x.trycloudflare.com/healthz ')).toBe('https://x.trycloudflare.com');
  });

  it('keeps memory bounded however much is logged before the URL', () => {
    const d = new QuickTunnelUrlDetector();
    const noise = `${'2024-05-14T10:21:31Z INF nothing to see here\n'.repeat(1000)}`;
    for (let i = 0; i < 100; i++) expect(d.feed(noise)).toBeNull();
    expect(d.feed(BOX)).toBe(URL);
  });
});
