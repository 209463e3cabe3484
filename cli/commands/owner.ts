import type { Command } from 'commander';
import { z } from 'zod';
import { formatUserCode, JoinRequest, JoinRequestsResponse, Member, MembersResponse, normalizeUserCode, OwnerStatusResponse, PayoutsResponse, ResultsResponse, type ResultSummary } from '../../protocol/index.ts';
import { cohortPaths } from '../../protocol/node/paths.ts';
import { terminalSafe, terminalSafeJson } from '../../protocol/terminal-text.ts';
import { CliError, OwnerClient } from '../owner-client.ts';
import { ago, duration, formatValue, table } from '../table.ts';
import { describeTunnel } from '../tunnel-text.ts';

type Out = (text: string) => void;

const connect = () => OwnerClient.connect(cohortPaths());

/** Latest results `cohort status` lists. */
const STATUS_RECENT = 20;

export function requestsTable(requests: readonly JoinRequest[]): string {
  if (requests.length === 0) return 'No join requests are waiting.';
  return table(
    ['CODE', 'NAME (declared)', 'HOST', 'OS', 'GPU', 'IP', 'APP', 'ASKED', 'EXPIRES IN', 'STATUS'],
    requests.map((r) => [r.user_code, r.name, r.hostname, r.os, r.gpu || '—', r.ip, r.app_version || '—', ago(r.created_at), duration(r.expires_in), r.status]),
  );
}

export function membersTable(members: readonly Member[]): string {
  if (members.length === 0) return 'No members yet. Workers join with the join command `cohort publish` printed.';
  return table(
    ['ID', 'NAME (declared)', 'HOST', 'GPU', 'IP', 'JOINED', 'STATE'],
    members.map((m) => [m.id, m.name, m.hostname, m.gpu || '—', m.ip, ago(m.joined_at), m.revoked_at === null ? 'active' : `revoked ${ago(m.revoked_at)}`]),
  );
}

export function registerOwnerCommands(program: Command, out: Out): void {
  program
    .command('requests')
    .description('list join requests waiting for your decision')
    .option('--all', 'include decided and expired requests')
    .option('--json', 'print JSON')
    .action(async (opts: { all?: boolean; json?: boolean }) => {
      const client = await connect();
      const { requests } = await client.get(`/api/owner/requests${opts.all ? '?all=1' : ''}`, JoinRequestsResponse);
      out(opts.json ? terminalSafeJson(requests) : requestsTable(requests));
    });

  for (const verb of ['approve', 'deny'] as const) {
    program
      .command(`${verb} <user-code>`)
      .description(verb === 'approve' ? 'let the worker showing this code join the program' : 'refuse the join request with this code')
      .action(async (code: string) => {
        const normalized = normalizeUserCode(code);
        if (normalized.length !== 8) throw new CliError(`"${code}" is not a user code; codes look like BCDF-GHJK (see \`cohort requests\`).`);
        const client = await connect();
        const { request } = await client.post(`/api/owner/requests/${formatUserCode(normalized)}/${verb}`, z.object({ request: JoinRequest }));
        // Names, hosts and codes are what a stranger declared.
        out(terminalSafe(verb === 'approve'
          ? `Approved ${request.user_code}: ${request.name} (${request.hostname || 'unknown host'}, ${request.ip}). Their worker picks up its token at its next poll.`
          : `Denied ${request.user_code}: ${request.name} (${request.ip}).`));
      });
  }

  program
    .command('members')
    .description('list the program\'s members')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { members } = await (await connect()).get('/api/owner/members', MembersResponse);
      out(opts.json ? terminalSafeJson(members) : membersTable(members));
    });

  program
    .command('revoke <member>')
    .description('revoke a member (by id, or by name when it is unique); their token stops working at once')
    .action(async (member: string) => {
      const res = await (await connect()).post(`/api/owner/members/${encodeURIComponent(member)}/revoke`, z.object({ member: Member }));
      out(terminalSafe(`Revoked ${res.member.id} (${res.member.name}). Their results stay in the KB.`));
    });

  program
    .command('status')
    .description('the program, its champion, leaderboard, members and payouts')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const client = await connect();
      // The summary and one page of the latest results: never the whole KB (docs/design.md, "Listings at scale").
      const [s, latest] = await Promise.all([
        client.get('/api/owner/status', OwnerStatusResponse),
        client.get(`/api/owner/results?order=desc&limit=${STATUS_RECENT}`, ResultsResponse),
      ]);
      const recent = latest.results;
      if (opts.json) return out(terminalSafeJson({ ...s, recent }));
      const spec = s.program.spec;
      // One line each; the champion's holds a member's name and hypothesis. Tables make their cells safe.
      const lines = [
        `${spec.name}: ${spec.direction} ${spec.metric} (${spec.accept}${spec.accept === 'threshold' ? ` ${spec.threshold}` : ''}), pool ${spec.pool} ${spec.token} ${spec.split}`,
        `Public URL: ${s.public_url}    join: ${s.join_command}`,
        `Tunnel: ${describeTunnel(s.tunnel)}`,
        s.champion
          ? `Champion: ${s.champion.id} ${spec.metric} ${formatValue(s.champion.value)} by ${s.champion.member_name} — ${s.champion.hypothesis || 'no hypothesis'}`
          : `Champion: none yet${s.baseline === null ? '' : ` (baseline ${formatValue(s.baseline)})`}`,
        `Members: ${s.members.filter((m) => m.revoked_at === null).length} active, ${s.requests.length} join request(s) waiting`,
      ].map((line) => terminalSafe(line));
      lines.push('');
      const row = (r: ResultSummary) => [r.id + (r.id === s.champion?.id ? '*' : ''), r.status, formatValue(r.value), formatValue(r.impact), r.member_name, r.hypothesis.split('\n')[0]!.slice(0, 60)];
      const columns = ['ID', 'STATUS', spec.metric.toUpperCase(), 'IMPACT', 'MEMBER', 'HYPOTHESIS'];
      if (s.total === 0) lines.push('No results yet.');
      else {
        const c = s.counts;
        lines.push(`Results: ${s.total} (${c.keep} kept, ${c.discard} discarded, ${c.crash} crashed, ${c.duplicate} duplicate)`);
        if (s.leaderboard.length > 0) lines.push('', `Best ${s.leaderboard.length}:`, table(columns, s.leaderboard.map(row)));
        lines.push('', `Latest (newest first${s.total > recent.length ? `, last ${recent.length}` : ''}):`, table(columns, recent.map(row)));
      }
      lines.push('');
      lines.push(s.payouts.length === 0 ? 'Payouts: nothing to pay yet.' : `Payouts:\n${table(['MEMBER', 'NAME', 'AMOUNT'], s.payouts.map((p) => [p.member, p.name, `${p.amount} ${spec.token}`]))}`);
      out(lines.join('\n'));
    });

  program
    .command('payouts')
    .description('how the reward pool splits now')
    .option('--format <format>', 'table, json or csv', 'table')
    .action(async (opts: { format: string }) => {
      if (!['table', 'json', 'csv'].includes(opts.format)) throw new CliError(`--format must be table, json or csv, got "${opts.format}".`);
      const client = await connect();
      if (opts.format === 'csv') return out((await client.text('/api/owner/payouts?format=csv')).trimEnd().split('\n').map((line) => terminalSafe(line)).join('\n'));
      const p = await client.get('/api/owner/payouts', PayoutsResponse);
      if (opts.format === 'json') return out(terminalSafeJson(p));
      if (p.payouts.length === 0) return out(p.pool <= 0 ? 'The pool is 0: nothing to pay.' : 'Nothing to pay yet: no accepted result has impact.');
      out(`${p.split}, pool ${p.pool} ${p.token}\n${table(['MEMBER', 'NAME', 'IMPACT', 'AMOUNT'], p.payouts.map((x) => [x.member, x.name, formatValue(x.impact), `${x.amount} ${p.token}`]))}`);
    });
}
