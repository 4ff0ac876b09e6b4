#!/usr/bin/env node
// Checks a Kontor audit export (JSON lines) against its signed checkpoints and the bank's public
// key, on the auditor's own machine: node (18 or newer) built-ins only, no database, no server.
//
//   node verify-audit-export.mjs EXPORT.jsonl --key kontor-public-key.pem
//
// Exit code 0: every record is intact and reaches a checkpoint signed with that key.
// Exit code 1: something is broken (the first broken row of each chain is named); 2: bad usage.
import { createHash, createPublicKey, verify } from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

export const FORMAT = 'kontor-audit-export/1';

/** The exact bytes a checkpoint's signature covers. */
export function checkpointMessage(cp) {
  return Buffer.from(`kontor-checkpoint/1\n${cp.chain}\n${cp.seq}\n${cp.hash}\n${cp.at}`, 'utf8');
}

/** A public key given as PEM text or base64 SPKI DER. */
export function parsePublicKey(text) {
  const key = text.includes('-----BEGIN')
    ? createPublicKey(text)
    : createPublicKey({ key: Buffer.from(text.trim(), 'base64'), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('the public key must be an Ed25519 key');
  return key;
}

/** Whether a checkpoint is well formed and signed with `publicKey` (Ed25519). */
export function checkpointTrusted(cp, publicKey) {
  if (typeof cp.chain !== 'string' || !Number.isSafeInteger(cp.seq) || cp.seq < 0 || !/^[0-9a-f]{64}$/.test(String(cp.hash))
      || typeof cp.at !== 'string' || typeof cp.sig !== 'string') return false;
  try {
    return verify(null, checkpointMessage(cp), publicKey, Buffer.from(cp.sig, 'base64'));
  } catch {
    return false;
  }
}

function sameJson(a, b) {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && sameJson(a[k], b[k]));
}

/** The readable fields of a record, as they were hashed (the canonical array PostgreSQL hashed). */
export function decodeCanonical(kind, arr) {
  if (kind === 'audit') {
    const [, tenantId, chain, seq, at, actorUserId, type, subjectType, subjectId, details, requestId, ip] = arr;
    return { chainId: `audit:${tenantId}:${chain}`, seq, fields: { tenantId, chain, at, actorUserId, type, subjectType, subjectId, details, requestId, ip } };
  }
  const [, chain, seq, at, tenantId, userId, emailHash, outcome, reason, ip] = arr;
  return { chainId: `login:${chain}`, seq, fields: { chain, at, tenantId, userId, emailHash, outcome, reason, ip } };
}

/** Why a single record line is not what its hash says, or null. */
function recordProblem(r) {
  if (typeof r.canonical !== 'string' || !/^[0-9a-f]{64}$/.test(String(r.hash)) || !/^[0-9a-f]{64}$/.test(String(r.prevHash))) return 'content';
  if (createHash('sha256').update(r.canonical, 'utf8').digest('hex') !== r.hash) return 'content';
  let arr;
  try {
    arr = JSON.parse(r.canonical);
  } catch {
    return 'content';
  }
  if (!Array.isArray(arr) || arr[0] !== r.prevHash) return 'content';
  const decoded = decodeCanonical(r.kind, arr);
  if (decoded.chainId !== r.chain || decoded.seq !== r.seq || !sameJson(decoded.fields, r.record)) return 'content';
  return null;
}

/**
 * Verifies an export's text. Per chain: each record's hash over its content, the link to the
 * record before it, no gap in seq, and every checkpoint signed with `publicKey` that falls in the
 * exported span matches the record at its seq (else rewritten or forked) and is reached (else
 * truncated or rewound). Records after the last checkpoint are not covered (reported as broken).
 */
export function verifyExportText(text, publicKey) {
  const lines = text.split('\n');
  const chains = new Map();
  const refused = [];
  let header = null;
  const chain = (id) => {
    if (!chains.has(id)) chains.set(id, { id, records: [], checkpoints: [] });
    return chains.get(id);
  };
  const problems = [];
  lines.forEach((raw, i) => {
    if (raw.trim() === '') return;
    let o;
    try {
      o = JSON.parse(raw);
    } catch {
      problems.push(`line ${i + 1}: not JSON`);
      return;
    }
    if (o.kind === 'export') header = o;
    else if (o.kind === 'audit' || o.kind === 'login') chain(String(o.chain)).records.push({ ...o, line: i + 1 });
    else if (o.kind === 'checkpoint') {
      if (checkpointTrusted(o, publicKey)) chain(o.chain).checkpoints.push({ ...o, line: i + 1 });
      else refused.push({ line: i + 1, chain: typeof o.chain === 'string' ? o.chain : null, reason: 'signature' });
    } else if (o.kind !== 'chain') problems.push(`line ${i + 1}: unknown kind`);
  });
  if (!header || header.format !== FORMAT) problems.push(`not a ${FORMAT} file`);

  const results = [];
  for (const c of chains.values()) {
    const rows = c.records;
    let broken = null;
    const breakAt = (row, reason, detail) => {
      broken ??= { seq: row ? row.seq : null, id: row?.id ?? null, line: row?.line ?? null, reason, ...detail };
    };
    rows.forEach((r, i) => {
      const problem = recordProblem(r);
      if (problem) return breakAt(r, problem);
      if (i > 0 && r.seq !== rows[i - 1].seq + 1) return breakAt(r, 'gap');
      if (i > 0 && r.prevHash !== rows[i - 1].hash) return breakAt(r, 'link');
    });
    const cps = [...c.checkpoints].sort((a, b) => a.seq - b.seq);
    for (let i = 1; i < cps.length; i++) {
      if (cps[i].seq === cps[i - 1].seq && cps[i].hash !== cps[i - 1].hash) breakAt(null, 'checkpoint_fork', { seq: cps[i].seq, checkpointAt: cps[i].at });
    }
    const bySeq = new Map(rows.map((r) => [r.seq, r]));
    const first = rows[0];
    const last = rows.at(-1);
    let reached = null;
    let lastGood = null;
    for (const cp of cps) {
      if (!first || cp.seq < first.seq - 1) continue;
      if (cp.seq === first.seq - 1) {
        if (first.prevHash !== cp.hash) breakAt(first, 'checkpoint_mismatch', { checkpointSeq: cp.seq, checkpointAt: cp.at, lastGoodSeq: lastGood });
        continue;
      }
      if (cp.seq > last.seq) {
        breakAt(null, 'checkpoint_unreached', { seq: last.seq + 1, checkpointSeq: cp.seq, checkpointAt: cp.at, lastGoodSeq: lastGood });
        break;
      }
      const row = bySeq.get(cp.seq);
      if (!row || row.hash !== cp.hash) {
        breakAt(row ?? null, 'checkpoint_mismatch', { seq: cp.seq, checkpointSeq: cp.seq, checkpointAt: cp.at, lastGoodSeq: lastGood });
        break;
      }
      lastGood = cp.seq;
      reached = cp;
    }
    const covered = reached ? rows.filter((r) => r.seq <= reached.seq).length : 0;
    if (!broken && rows.length > covered) breakAt(rows[covered], 'not_checkpointed');
    results.push({ chain: c.id, rows: rows.length, covered, checkpoint: reached ? { seq: reached.seq, at: reached.at } : null, ok: broken === null, firstBroken: broken });
  }
  results.sort((a, b) => a.chain.localeCompare(b.chain));
  // A checkpoint that does not verify is itself a sign of tampering: the file fails.
  return { ok: problems.length === 0 && refused.length === 0 && results.every((r) => r.ok), header, problems, chains: results, refused };
}

const REASONS = {
  content: 'content does not match its hash',
  link: 'does not link to the record before it',
  gap: 'records are missing before it',
  checkpoint_mismatch: 'differs from the signed checkpoint (rewritten or forked)',
  checkpoint_unreached: 'chain ends before the signed checkpoint (truncated or rewound)',
  checkpoint_fork: 'two signed checkpoints disagree (forked)',
  not_checkpointed: 'not covered by any signed checkpoint',
};

/** One line per chain, then a summary. */
export function describeExport(result) {
  const out = result.problems.map((p) => `BROKEN  ${p}`);
  for (const c of result.chains) {
    if (c.ok) {
      out.push(`ok      ${c.chain}: ${c.rows} record(s) verified up to the checkpoint of ${c.checkpoint?.at} (seq ${c.checkpoint?.seq})`);
      continue;
    }
    const b = c.firstBroken;
    const where = [b.seq !== null && b.seq !== undefined ? `seq ${b.seq}` : null, b.id ? `row id ${b.id}` : null, b.line ? `line ${b.line}` : null].filter(Boolean).join(', ');
    const cp = b.checkpointSeq !== undefined ? `; checkpoint of ${b.checkpointAt} signs seq ${b.checkpointSeq}` : '';
    const good = b.lastGoodSeq !== undefined && b.lastGoodSeq !== null ? `; intact up to seq ${b.lastGoodSeq}` : '';
    out.push(`BROKEN  ${c.chain}: first broken at ${where || 'its end'}: ${REASONS[b.reason] ?? b.reason} (${b.reason})${cp}${good}`);
  }
  for (const r of result.refused) out.push(`BROKEN  refused checkpoint on line ${r.line}${r.chain ? ` (${r.chain})` : ''}: not signed with this key, or edited`);
  const broken = result.chains.filter((c) => !c.ok).length + result.problems.length + result.refused.length;
  out.push(`${result.chains.length} chain(s), ${result.chains.reduce((n, c) => n + c.rows, 0)} record(s): ${broken === 0 ? 'all verified' : `${broken} broken`}`);
  return out;
}

function main(argv) {
  const keyAt = argv.indexOf('--key');
  const file = argv.find((a, i) => !a.startsWith('--') && i !== keyAt + 1);
  if (!file || keyAt < 0 || !argv[keyAt + 1]) {
    console.error('usage: node verify-audit-export.mjs EXPORT.jsonl --key PUBLIC-KEY.pem');
    return 2;
  }
  const keyArg = argv[keyAt + 1];
  let key;
  try {
    key = parsePublicKey(fs.existsSync(keyArg) ? fs.readFileSync(keyArg, 'utf8') : keyArg);
  } catch (err) {
    console.error(`cannot read the public key: ${err.message}`);
    return 2;
  }
  const result = verifyExportText(fs.readFileSync(file, 'utf8'), key);
  for (const line of describeExport(result)) console.log(line);
  return result.ok ? 0 : 1;
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url))) {
  process.exitCode = main(process.argv.slice(2));
}
