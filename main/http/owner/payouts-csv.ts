import type { Payout } from '../../../protocol/index.ts';

/** RFC 4180 field quoting; a leading =,+,-,@ is defused so spreadsheets do not run a name as a formula. */
function field(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function payoutsCsv(payouts: readonly Payout[], token: string): string {
  const lines = ['member,name,impact,amount,token'];
  for (const p of payouts) lines.push([p.member, p.name, String(p.impact), p.amount, token].map(field).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
