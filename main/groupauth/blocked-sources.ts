import type { KbStore } from '../store/kb-store.ts';
import { canonicalAddress, networkOf } from './network.ts';

/**
 * Sources the owner blocked: an address or a source network (network.ts) whose join requests are
 * refused from then on, not only those waiting when the owner denied them (`cohort deny --from …
 * --block`). Without it, a flood the owner cleared came back at once. Kept in the KB's meta table
 * (one JSON value), so it survives restarts and travels with backups; bounded, so it stays one
 * small read.
 */
export const MAX_BLOCKED = 1_000;
const META_KEY = 'blocked_sources';

export interface BlockedSource {
  /** A canonical address (`203.0.113.7`) or a network (`203.0.113.0/24`, `2001:db8::/64`). */
  source: string;
  /** When it was blocked (ms since the epoch). */
  at: number;
}

export class BlockedSources {
  #store: KbStore;
  #entries: Map<string, number>;

  private constructor(store: KbStore, entries: Map<string, number>) {
    this.#store = store;
    this.#entries = entries;
  }

  static async load(store: KbStore): Promise<BlockedSources> {
    const entries = new Map<string, number>();
    const raw = await store.getMeta(META_KEY);
    if (raw !== null) {
      try {
        for (const e of JSON.parse(raw) as unknown[]) {
          const { source, at } = e as Partial<BlockedSource>;
          if (typeof source === 'string' && typeof at === 'number') entries.set(source, at);
        }
      } catch {
        // A damaged value blocks nothing; the next change rewrites it.
      }
    }
    return new BlockedSources(store, entries);
  }

  /** The block that covers `ip` (its address, else its network), or null. */
  covering(ip: string): string | null {
    const address = canonicalAddress(ip);
    if (this.#entries.has(address)) return address;
    const network = networkOf(address);
    return this.#entries.has(network) ? network : null;
  }

  list(): BlockedSource[] {
    return [...this.#entries].map(([source, at]) => ({ source, at })).sort((a, b) => a.at - b.at || a.source.localeCompare(b.source));
  }

  /** Blocks `source` (already canonical: an address or a network key). */
  async add(source: string, at: number): Promise<void> {
    if (this.#entries.has(source)) return;
    if (this.#entries.size >= MAX_BLOCKED) {
      throw new RangeError(`At most ${MAX_BLOCKED} sources can be blocked; unblock some first (cohort blocked, cohort unblock).`);
    }
    this.#entries.set(source, at);
    await this.#save();
  }

  /** Unblocks `source`; false when it was not blocked. */
  async remove(source: string): Promise<boolean> {
    if (!this.#entries.delete(source)) return false;
    await this.#save();
    return true;
  }

  async #save(): Promise<void> {
    await this.#store.setMeta(META_KEY, JSON.stringify(this.list()));
  }
}
