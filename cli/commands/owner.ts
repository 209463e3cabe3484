import type { Command } from 'commander';
import { z } from 'zod';
import { BlockedSourcesResponse, DenySourceResponse, RequeueResponse, formatUserCode, JoinRequest, JoinRequestsResponse, Member, MembersResponse, normalizeUserCode, OwnerStatusResponse, PayoutsResponse, ResultsResponse, UnblockResponse, type ResultSummary } from '../../protocol/index.ts';
import { cohortPaths } from '../../protocol/node/paths.ts';
import { terminalSafe, terminalSafeJson } from '../../protocol/terminal-text.ts';
import { CliError, OwnerClient } from '../owner-client.ts';
import { ago, duration, formatValue, table } from '../table.ts';
import { describeTunnel } from '../tunnel-text.ts';

type Out = (text: string) => void;

const connect = (opts: { program?: string }) => OwnerClient.connect(cohortPaths(), opts.program);
const PROGRAM_FLAG = ['--program <name>', 'the published program to talk to (needed when this home publishes several)'] as const;

/** Latest results `cohort status` lists. */
const STATUS_RECENT = 20;

export function requestsTable(requests: readonly JoinRequest[]): string {
  if (requests.length === 0) return 'No join requests are waiting.';
  return table(
    ['CODE', 'NAME (declared)', 'HOST', 'OS', 'GPU', 'IP', 'APP', 'ASKED', 'EXPIRES IN', 'STATUS', 'REQUIRES'],
    requests.map((r) => [r.user_code, r.name, r.hostname, r.os, r.gpu || '—', r.ip, r.app_version || '—', ago(r.created_at), duration(r.expires_in), r.status, requirementsText(r.requirements)]),
  );
}

/**
 * Whether a join request's machine meets the program's `requires`, as the worker declares it;
 * '—' when the program has none. The problems quote the worker's GPU name: callers make it terminalSafe.
 */
export function requirementsText(match: JoinRequest['requirements']): string {
  if (match === null) return '—';
  return match.ok ? 'matches requires' : `DOES NOT MATCH: ${match.problems.join('; ')}`;
}

/** `12.3 / 512 MiB`, then the limit the member is at, if any (TASK.md `quota`). */
export function usageText(m: Member): string {
  const u = m.usage;
  if (u === undefined) return '—';
  const mib = (b: number) => (b / (1024 * 1024)).toFixed(1).replace(/\.0$/, '');
  const at = u.at_limit === 'storage' ? ' AT STORAGE LIMIT' : u.at_limit === 'rate' ? ` AT RATE LIMIT (${u.submissions_per_hour}/h)` : '';
  return `${mib(u.stored_bytes)} / ${mib(u.storage_limit_bytes)} MiB${at}`;
}

/** A value's verification, in the words the UI uses too. */
export function verificationText(v: ResultSummary['verification']): string {
  return v === 'none' ? '—' : v === 'not_reproduced' ? 'NOT REPRODUCED' : v;
}

export function membersTable(members: readonly Member[]): string {
  if (members.length === 0) return 'No members yet. Workers join with the join command `cohort publish` printed.';
  return table(
    ['ID', 'NAME (declared)', 'HOST', 'GPU', 'IP', 'JOINED', 'STATE', 'RESULTS', 'STORED', 'NOT REPRODUCED'],
    members.map((m) => [
      m.id,
      m.name,
      m.hostname,
      m.gpu || '—',
      m.ip,
      ago(m.joined_at),
      m.revoked_at === null ? 'active' : `revoked ${ago(m.revoked_at)}`,
      m.usage === undefined ? '—' : String(m.usage.results),
      usageText(m),
      m.verification === undefined ? '—' : `${m.verification.not_reproduced}${m.verification.flagged ? ' FLAGGED' : ''}`,
    ]),
  );
}

export function registerOwnerCommands(program: Command, out: Out): void {
  program
    .command('requests')
    .description('list join requests waiting for your decision')
    .option(...PROGRAM_FLAG)
    .option('--all', 'include decided and expired requests')
    .option('--json', 'print JSON')
    .action(async (opts: { all?: boolean; json?: boolean; program?: string }) => {
      const client = await connect(opts);
      const { requests } = await client.get(`/api/owner/requests${opts.all ? '?all=1' : ''}`, JoinRequestsResponse);
      out(opts.json ? terminalSafeJson(requests) : requestsTable(requests));
    });

  const decide = async (verb: 'approve' | 'deny', code: string, opts: { program?: string }) => {
    const normalized = normalizeUserCode(code);
    if (normalized.length !== 8) throw new CliError(`"${code}" is not a user code; codes look like BCDF-GHJK (see \`cohort requests\`).`);
    const client = await connect(opts);
    const { request } = await client.post(`/api/owner/requests/${formatUserCode(normalized)}/${verb}`, z.object({ request: JoinRequest }));
    // Names, hosts and codes are what a stranger declared.
    out(terminalSafe(verb === 'approve'
      ? `Approved ${request.user_code}: ${request.name} (${request.hostname || 'unknown host'}, ${request.ip}). Their worker picks up its token at its next poll.`
      : `Denied ${request.user_code}: ${request.name} (${request.ip}).`));
  };

  program
    .command('approve <user-code>')
    .description('let the worker showing this code join the program')
    .option(...PROGRAM_FLAG)
    .action((code: string, opts: { program?: string }) => decide('approve', code, opts));

  program
    .command('deny [user-code]')
    .description('refuse the join request with this code, or every waiting request from one address or network')
    .option('--from <address>', 'deny every waiting request from this IP address')
    .option('--from-network <network>', 'deny every waiting request from this network: an IPv4 /24 (203.0.113.0/24), an IPv6 /64, or an address in it')
    .option('--block', 'with --from or --from-network: also refuse that source\'s later join requests (see `cohort blocked`, `cohort unblock`)')
    .option(...PROGRAM_FLAG)
    .action(async (code: string | undefined, opts: { from?: string; fromNetwork?: string; block?: boolean; program?: string }) => {
      const given = [code, opts.from, opts.fromNetwork].filter((x) => x !== undefined).length;
      if (given !== 1) throw new CliError('Give exactly one of: a user code, --from ADDRESS, --from-network NETWORK.');
      if (code !== undefined) {
        if (opts.block) throw new CliError('--block goes with --from or --from-network: a user code names one request, not a source.');
        return decide('deny', code, opts);
      }
      const source = opts.from !== undefined ? { address: opts.from } : { network: opts.fromNetwork! };
      const res = await (await connect(opts)).post('/api/owner/requests/deny-source', DenySourceResponse, { ...source, ...(opts.block ? { block: true } : {}) });
      const blocked = res.blocked ? ` ${res.source} is blocked: its later join requests are refused (\`cohort unblock ${res.source}\` lifts it).` : '';
      if (res.denied.length === 0) return out(terminalSafe(`No join requests were waiting from ${res.source}.${blocked}`));
      out(terminalSafe(`Denied ${res.denied.length} join request(s) from ${res.source}: ${res.denied.map((r) => `${r.user_code} ${r.name} (${r.ip})`).join(', ')}.${blocked}`));
    });

  program
    .command('requeue <claim>')
    .description('put a pending claim back in the verification queue (its verifier went quiet): the next member to ask re-runs it')
    .option(...PROGRAM_FLAG)
    .action(async (claim: string, opts: { program?: string }) => {
      const res = await (await connect(opts)).post(`/api/owner/verifications/${encodeURIComponent(claim)}/requeue`, RequeueResponse, {});
      out(terminalSafe(`${res.claim} is back in the verification queue${res.released ? ` (the lease of ${res.released} was dropped)` : ''}.`));
    });

  program
    .command('blocked')
    .description('list the addresses and networks whose join requests are refused (cohort deny --from … --block)')
    .option(...PROGRAM_FLAG)
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean; program?: string }) => {
      const { blocked } = await (await connect(opts)).get('/api/owner/blocked', BlockedSourcesResponse);
      if (opts.json) return out(terminalSafeJson(blocked));
      if (blocked.length === 0) return out('Nothing is blocked.');
      out(table(['source', 'blocked'], blocked.map((b) => [terminalSafe(b.source, 'line'), ago(b.at)])));
    });

  program
    .command('unblock <source>')
    .description('accept join requests again from an address or network that was blocked')
    .option(...PROGRAM_FLAG)
    .action(async (source: string, opts: { program?: string }) => {
      const res = await (await connect(opts)).post('/api/owner/blocked/remove', UnblockResponse, { source });
      out(terminalSafe(res.removed ? `Unblocked ${res.source}: its join requests are accepted again.` : `${res.source} was not blocked (\`cohort blocked\` lists what is).`));
    });

  program
    .command('members')
    .description('list the program\'s members')
    .option(...PROGRAM_FLAG)
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean; program?: string }) => {
      const { members } = await (await connect(opts)).get('/api/owner/members', MembersResponse);
      out(opts.json ? terminalSafeJson(members) : membersTable(members));
    });

  program
    .command('revoke <member>')
    .description('revoke a member (by id, or by name when it is unique); their token stops working at once')
    .option(...PROGRAM_FLAG)
    .action(async (member: string, opts: { program?: string }) => {
      const res = await (await connect(opts)).post(`/api/owner/members/${encodeURIComponent(member)}/revoke`, z.object({ member: Member }));
      out(terminalSafe(`Revoked ${res.member.id} (${res.member.name}). Their results stay in the KB.`));
    });

  program
    .command('status')
    .description('the program, its champion, leaderboard, members and payouts')
    .option(...PROGRAM_FLAG)
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean; program?: string }) => {
      const client = await connect(opts);
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
          ? `Champion: ${s.champion.id} ${spec.metric} ${formatValue(s.champion.value)} (${verificationText(s.champion.verification)}) by ${s.champion.member_name} — ${s.champion.hypothesis || 'no hypothesis'}`
          : `Champion: none yet${s.baseline === null ? '' : ` (baseline ${formatValue(s.baseline)})`}`,
        `Members: ${s.members.filter((m) => m.revoked_at === null).length} active, ${s.requests.length} join request(s) waiting`,
      ].map((line) => terminalSafe(line));
      lines.push('');
      // A value is shown with its verification (docs/design.md, "Verified champions"); a claim that counts at a worse value shows both.
      const valueText = (r: ResultSummary) => (r.effective_value !== null && r.effective_value !== r.value ? `${formatValue(r.value)} → ${formatValue(r.effective_value)}` : formatValue(r.value));
      const row = (r: ResultSummary) => [r.id + (r.id === s.champion?.id ? '*' : ''), r.status, valueText(r), verificationText(r.verification), formatValue(r.impact), r.member_name, r.hypothesis.split('\n')[0]!.slice(0, 60)];
      const columns = ['ID', 'STATUS', spec.metric.toUpperCase(), 'VERIFIED', 'IMPACT', 'MEMBER', 'HYPOTHESIS'];
      if (s.total === 0) lines.push('No results yet.');
      else {
        const c = s.counts;
        lines.push(`Results: ${s.total} (${c.keep} kept, ${c.discard} discarded, ${c.crash} crashed, ${c.duplicate} duplicate)`);
        if (s.leaderboard.length > 0) lines.push('', `Best ${s.leaderboard.length}:`, table(columns, s.leaderboard.map(row)));
        lines.push('', `Latest (newest first${s.total > recent.length ? `, last ${recent.length}` : ''}):`, table(columns, recent.map(row)));
      }
      lines.push('');
      const unverified = spec.verify === undefined || spec.verify.replicas === 0;
      lines.push(s.payouts.length === 0 ? 'Payouts: nothing to pay yet.' : `Payouts${unverified ? ' (unverified: verification is off)' : ''}:\n${table(['MEMBER', 'NAME', 'AMOUNT'], s.payouts.map((p) => [p.member, p.name, `${p.amount} ${spec.token}`]))}`);
      if (s.pending_payouts.length > 0) {
        lines.push('', `If every pending claim reproduces:\n${table(['MEMBER', 'NAME', 'AMOUNT'], s.pending_payouts.map((p) => [p.member, p.name, `${p.amount} ${spec.token}`]))}`);
      }
      if (s.noise !== null) {
        const n = s.noise;
        lines.push('', terminalSafe(`Noise (${n.reruns} re-runs): re-runs land ${formatValue(n.claim_vs_rerun.median)} from their claims (median), ${formatValue(n.claim_vs_rerun.p90)} at the 90th percentile${n.between_reruns ? `; re-runs of one claim spread ${formatValue(n.between_reruns.median)}` : ''}. Suggested min_improvement: ${formatValue(n.suggested_min_improvement)} (now ${formatValue(spec.min_improvement)}).`));
      }
      const flagged = s.members.filter((m) => m.verification?.flagged);
      if (flagged.length > 0) lines.push('', terminalSafe(`! Claims that did not reproduce: ${flagged.map((m) => `${m.name} (${m.verification!.not_reproduced})`).join(', ')} — \`cohort revoke MEMBER\` if you no longer trust them.`));
      out(lines.join('\n'));
    });

  program
    .command('payouts')
    .description('how the reward pool splits now')
    .option(...PROGRAM_FLAG)
    .option('--format <format>', 'table, json or csv', 'table')
    .action(async (opts: { format: string; program?: string }) => {
      if (!['table', 'json', 'csv'].includes(opts.format)) throw new CliError(`--format must be table, json or csv, got "${opts.format}".`);
      const client = await connect(opts);
      if (opts.format === 'csv') return out((await client.text('/api/owner/payouts?format=csv')).trimEnd().split('\n').map((line) => terminalSafe(line)).join('\n'));
      const p = await client.get('/api/owner/payouts', PayoutsResponse);
      if (opts.format === 'json') return out(terminalSafeJson(p));
      if (p.payouts.length === 0) return out(p.pool <= 0 ? 'The pool is 0: nothing to pay.' : 'Nothing to pay yet: no accepted result has impact.');
      out(`${p.split}, pool ${p.pool} ${p.token}\n${table(['MEMBER', 'NAME', 'IMPACT', 'AMOUNT'], p.payouts.map((x) => [x.member, x.name, formatValue(x.impact), `${x.amount} ${p.token}`]))}`);
    });
}
