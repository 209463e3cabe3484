/**
 * Finds the quick-tunnel URL in cloudflared's output. cloudflared prints it in a box on stderr:
 *
 *   INF |  https://seasonal-deck-organisms-sf.trycloudflare.com                    |
 *
 * Only `https://<name>.trycloudflare.com` counts, where `<name>` is one DNS label of lowercase
 * letters, digits and hyphens. `https://api.trycloudflare.com/tunnel` appears in error lines (it is
 * the endpoint cloudflared asks for a tunnel) and is never the tunnel URL. A URL is taken only once
 * something that cannot continue a host name follows it, so a URL split across two output chunks
 * (`https://seasonal-deck-orga` + `nisms-sf.trycloudflare.com |`) is found whole, never cut short.
 */
const URL_PATTERN = /https:\/\/([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)\.trycloudflare\.com(?=[^A-Za-z0-9.\-_:@])/g;

/** Names under trycloudflare.com that belong to Cloudflare's service, not to a tunnel. */
const NOT_A_TUNNEL = new Set(['api', 'www']);

/** Longest URL: `https://` + 63-character label + `.trycloudflare.com`. Keep a little more. */
const CARRY = 128;

/** The first tunnel URL in a complete piece of text (a terminator after the URL is required). */
export function findQuickTunnelUrl(text: string): string | null {
  for (const m of text.matchAll(URL_PATTERN)) {
    if (!NOT_A_TUNNEL.has(m[1]!)) return `https://${m[1]!}.trycloudflare.com`;
  }
  return null;
}

/**
 * A streaming detector for one output stream: feed it chunks as they arrive; it answers the URL
 * once it has seen one whole. Keeps only a short tail between chunks, so memory stays bounded
 * however much cloudflared logs.
 */
export class QuickTunnelUrlDetector {
  #tail = '';
  #found: string | null = null;

  get url(): string | null {
    return this.#found;
  }

  /** Adds a chunk; returns the URL when this chunk completed it (and on every call after that). */
  feed(chunk: string): string | null {
    if (this.#found !== null) return this.#found;
    const text = this.#tail + chunk;
    this.#found = findQuickTunnelUrl(text);
    // Keep enough to complete a URL that started in this chunk; never a match already judged.
    this.#tail = text.length > CARRY ? text.slice(-CARRY) : text;
    return this.#found;
  }

  /** End of the stream: a URL right at the very end counts now. */
  end(): string | null {
    if (this.#found === null) this.#found = findQuickTunnelUrl(`${this.#tail}\n`);
    this.#tail = '';
    return this.#found;
  }
}
