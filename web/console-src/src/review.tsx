// The review queue: every variant with its checks (a failing check says why
// it was flagged); approve, reject with a reason, or edit, one at a time or
// ticked in bulk. Each decision is at most two clicks: Approve is one; Reject
// is one to open the reason and one on a ready-made reason (or Enter).
import { useEffect, useState } from 'preact/hooks';
import { gql, type UserError } from './api';
import { Badge, Empty, ErrorBanner, Loading, Notice, firstScreenShown, when } from './ui';

type Status = 'PENDING' | 'APPROVED' | 'REJECTED';

interface Check {
  name: string;
  passed: boolean;
  detail: string;
}

export interface Variant {
  id: string;
  /** The hash of the words shown, sent back with a decision (a CONFLICT if they changed since). */
  revision: string;
  headline: string;
  text: string;
  generator: string;
  angle: string;
  status: Status;
  reviewedBy: string | null;
  reviewedAt: string | null;
  rejectReason: string | null;
  productID: string;
  channel: string;
  language: string;
  persona: string | null;
  edited: boolean;
  product: { title: string; category: string } | null;
  checks: Check[];
}

const variantFields = `id revision headline text generator angle status reviewedBy reviewedAt rejectReason
  productID channel language persona edited product { title category } checks { name passed detail }`;

const QUEUE = `query ConsoleReviewQueue($first: Int, $after: String, $filter: CopyReviewFilter) {
  copyReviewQueue(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { ${variantFields} } }
  }
}`;

const payload = `{ variants { ${variantFields} } userErrors { field message code } }`;
// Decisions send the revisions of the words on screen: if another admin
// changed them meanwhile, the server refuses (CONFLICT) rather than decide
// on words nobody here read.
const APPROVE = `mutation ConsoleApprove($ids: [ID!]!, $revisions: [String!]) { approveCopy(ids: $ids, revisions: $revisions) ${payload} }`;
const REJECT = `mutation ConsoleReject($ids: [ID!]!, $reason: String!, $revisions: [String!]) { rejectCopy(ids: $ids, reason: $reason, revisions: $revisions) ${payload} }`;
const EDIT = `mutation ConsoleEdit($id: ID!, $headline: String, $text: String!, $revision: String) { editCopy(id: $id, headline: $headline, text: $text, revision: $revision) ${payload} }`;

interface Payload {
  variants: Variant[];
  userErrors: UserError[];
}

export const CHANNELS = ['TITLE', 'DETAIL', 'AD_SLOGAN', 'PROMOTION', 'PUSH', 'EMAIL'];
const REASONS = ['Inaccurate claim', 'Off-brand tone', 'Too pushy', 'Wrong audience'];

interface Filter {
  status: Status | '';
  channel: string;
  categoryPrefix: string;
  productID: string;
  failedChecks: '' | 'true' | 'false';
}

function filterVars(f: Filter) {
  const v: Record<string, unknown> = {};
  if (f.status) v.status = f.status;
  if (f.channel) v.channel = f.channel;
  if (f.categoryPrefix.trim()) v.categoryPrefix = f.categoryPrefix.trim();
  if (f.productID.trim()) v.productID = f.productID.trim();
  if (f.failedChecks) v.failedChecks = f.failedChecks === 'true';
  return v;
}

/** Explains userErrors in words, naming the variant each refers to. */
function explain(errs: UserError[], ids: string[]): string {
  return errs
    .map((e) => {
      const i = e.field?.length ? Number(e.field[e.field.length - 1]) : NaN;
      const who = Number.isInteger(i) && ids[i] ? `${ids[i]}: ` : '';
      return `${who}${e.message}`;
    })
    .join('; ');
}

export function ReviewQueue() {
  const [filter, setFilter] = useState<Filter>({ status: 'PENDING', channel: '', categoryPrefix: '', productID: '', failedChecks: '' });
  const [items, setItems] = useState<Variant[] | null>(null);
  const [total, setTotal] = useState(0);
  const [next, setNext] = useState<string | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [err, setErr] = useState<unknown>();
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [bulkReject, setBulkReject] = useState(false);

  const load = async (after: string | null = null, keepErr = false) => {
    if (!keepErr) setErr(undefined);
    try {
      const d = await gql<{ copyReviewQueue: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: Variant }[] } }>(
        QUEUE,
        { first: 20, after, filter: filterVars(filter) },
      );
      const q = d.copyReviewQueue;
      const nodes = q.edges.map((e) => e.node);
      setItems((prev) => (after && prev ? [...prev, ...nodes] : nodes));
      setTotal(q.totalCount);
      setNext(q.pageInfo.hasNextPage ? q.pageInfo.endCursor : null);
      if (!after) setSelected(new Set());
    } catch (e) {
      setErr(e);
      setItems((prev) => prev ?? []);
    }
  };
  useEffect(() => {
    load();
  }, [filter]);
  useEffect(() => {
    if (items) firstScreenShown();
  }, [items]);

  /** Applies a decision's answer: changed variants update or leave the view. */
  const apply = (p: Payload, ids: string[], verb: string) => {
    const changed = new Map(p.variants.map((v) => [v.id, v]));
    const leaves = (v: Variant) => filter.status !== '' && v.status !== filter.status;
    let gone = 0;
    setItems((prev) =>
      (prev ?? []).flatMap((v) => {
        const c = changed.get(v.id);
        if (!c) return [v];
        if (leaves(c)) {
          gone++;
          return [];
        }
        return [c];
      }),
    );
    setTotal((t) => t - gone);
    setSelected((s) => new Set([...s].filter((id) => !changed.has(id))));
    const ok = p.variants.length;
    setNote(ok ? `${verb} ${ok} variant${ok === 1 ? '' : 's'}.` : '');
    if (p.userErrors.length) {
      const stale = p.userErrors.some((e) => e.code === 'CONFLICT');
      setErr(new Error(explain(p.userErrors, ids) + (stale ? ' The list was reloaded with the current words: check them and decide again.' : '')));
      // Words changed under the reviewer: show what is there now.
      if (stale) load(null, true);
    }
  };

  /** The revisions of the words on screen, one per ID. */
  const revisionsOf = (ids: string[]) => {
    const shown = new Map((items ?? []).map((v) => [v.id, v.revision]));
    return ids.map((id) => shown.get(id) ?? '');
  };

  const decide = async (kind: 'approve' | 'reject', ids: string[], reason = '') => {
    if (!ids.length) return;
    setBusy(true);
    setErr(undefined);
    setNote('');
    try {
      if (kind === 'approve') {
        const d = await gql<{ approveCopy: Payload }>(APPROVE, { ids, revisions: revisionsOf(ids) });
        apply(d.approveCopy, ids, 'Approved');
      } else {
        const d = await gql<{ rejectCopy: Payload }>(REJECT, { ids, reason, revisions: revisionsOf(ids) });
        apply(d.rejectCopy, ids, 'Rejected');
      }
    } catch (e) {
      setErr(e);
    } finally {
      setBusy(false);
    }
  };

  /** Saves an edit; revision is the one of the words the editor started from. */
  const edit = async (id: string, headline: string, text: string, revision: string): Promise<boolean> => {
    setBusy(true);
    setErr(undefined);
    setNote('');
    try {
      const d = await gql<{ editCopy: Payload }>(EDIT, { id, headline, text, revision });
      apply(d.editCopy, [id], 'Saved the edit of');
      return d.editCopy.userErrors.length === 0;
    } catch (e) {
      setErr(e);
      return false;
    } finally {
      setBusy(false);
    }
  };

  const set = (k: keyof Filter) => (e: Event) => setFilter({ ...filter, [k]: (e.target as HTMLInputElement).value });
  const allIDs = (items ?? []).map((v) => v.id);
  const allTicked = allIDs.length > 0 && allIDs.every((id) => selected.has(id));
  const tick = (id: string, on: boolean) =>
    setSelected((s) => {
      const n = new Set(s);
      if (on) n.add(id);
      else n.delete(id);
      return n;
    });
  const chosen = allIDs.filter((id) => selected.has(id));

  return (
    <section class="review">
      <div class="toolbar filters">
        <label>
          Status
          <select value={filter.status} onChange={set('status')}>
            <option value="PENDING">Pending</option>
            <option value="APPROVED">Approved</option>
            <option value="REJECTED">Rejected</option>
            <option value="">Any</option>
          </select>
        </label>
        <label>
          Channel
          <select value={filter.channel} onChange={set('channel')}>
            <option value="">Any</option>
            {CHANNELS.map((c) => (
              <option value={c}>{c}</option>
            ))}
          </select>
        </label>
        <label>
          Checks
          <select value={filter.failedChecks} onChange={set('failedChecks')}>
            <option value="">Any</option>
            <option value="true">Some failing</option>
            <option value="false">All passing</option>
          </select>
        </label>
        <label>
          Category
          <input type="search" name="category" placeholder="e.g. 数码, Enter" value={filter.categoryPrefix} onChange={set('categoryPrefix')} />
        </label>
        <label>
          Product ID
          <input type="search" name="product" placeholder="Enter to apply" value={filter.productID} onChange={set('productID')} />
        </label>
        <CopyBatch onDone={() => load()} />
      </div>

      <div class="toolbar bulk">
        <label class="tick">
          <input
            type="checkbox"
            checked={allTicked}
            disabled={!allIDs.length}
            onChange={(e) => setSelected(new Set((e.target as HTMLInputElement).checked ? allIDs : []))}
            aria-label="Select all shown"
          />
          {chosen.length ? `${chosen.length} selected` : `${total} variant${total === 1 ? '' : 's'}`}
        </label>
        <button type="button" class="approve" id="bulk-approve" disabled={!chosen.length || busy} onClick={() => decide('approve', chosen)}>
          Approve selected
        </button>
        <button type="button" class="reject" id="bulk-reject" disabled={!chosen.length || busy} onClick={() => setBulkReject(!bulkReject)}>
          Reject selected…
        </button>
        {bulkReject && chosen.length > 0 && (
          <ReasonPicker
            busy={busy}
            onPick={(r) => {
              setBulkReject(false);
              decide('reject', chosen, r);
            }}
            onCancel={() => setBulkReject(false)}
          />
        )}
      </div>

      <ErrorBanner error={err} onDismiss={() => setErr(undefined)} />
      {note && <Notice kind="ok">{note}</Notice>}
      {items === null ? (
        <Loading what="the review queue" />
      ) : items.length === 0 ? (
        <Empty>Nothing to review here. New copy lands in this queue when SHOPMUSE_COPY_REVIEW=on.</Empty>
      ) : (
        <ol class="variants" id="review-list">
          {items.map((v) => (
            <VariantCard key={v.id} v={v} ticked={selected.has(v.id)} busy={busy} onTick={(on) => tick(v.id, on)} onDecide={decide} onEdit={edit} />
          ))}
        </ol>
      )}
      {next && (
        <button type="button" class="more" onClick={() => load(next)}>
          Load more
        </button>
      )}
    </section>
  );
}

function ReasonPicker({ busy, onPick, onCancel }: { busy: boolean; onPick: (r: string) => void; onCancel: () => void }) {
  const [text, setText] = useState('');
  return (
    <form
      class="reasons"
      onSubmit={(e) => {
        e.preventDefault();
        if (text.trim()) onPick(text.trim());
      }}
    >
      {REASONS.map((r) => (
        <button type="button" class="chip" disabled={busy} onClick={() => onPick(r)}>
          {r}
        </button>
      ))}
      <input
        type="text"
        maxLength={500}
        placeholder="or type a reason, Enter"
        value={text}
        onInput={(e) => setText((e.target as HTMLInputElement).value)}
        aria-label="Reason for rejecting"
      />
      <button type="button" class="link" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}

const statusTone: Record<Status, string> = { PENDING: 'amber', APPROVED: 'green', REJECTED: 'red' };

function VariantCard(props: {
  v: Variant;
  ticked: boolean;
  busy: boolean;
  onTick: (on: boolean) => void;
  onDecide: (kind: 'approve' | 'reject', ids: string[], reason?: string) => void;
  onEdit: (id: string, headline: string, text: string, revision: string) => Promise<boolean>;
}) {
  const { v, busy } = props;
  const [mode, setMode] = useState<'' | 'reject' | 'edit'>('');
  const [headline, setHeadline] = useState(v.headline);
  const [text, setText] = useState(v.text);
  // The revision of the words the open edit started from: the list may
  // reload under the form (a CONFLICT elsewhere) with another admin's
  // words, and the save must not overwrite words this editor never read.
  const [editFrom, setEditFrom] = useState(v.revision);
  const failing = v.checks.filter((c) => !c.passed);
  const [showHistory, setShowHistory] = useState(false);
  return (
    <li class={`variant ${failing.length ? 'flagged' : ''}`} data-id={v.id} data-status={v.status}>
      <div class="select">
        <input type="checkbox" checked={props.ticked} onChange={(e) => props.onTick((e.target as HTMLInputElement).checked)} aria-label={`Select ${v.id}`} />
      </div>
      <div class="body">
        <div class="meta">
          <Badge tone={statusTone[v.status]}>{v.status.toLowerCase()}</Badge>
          <Badge>{v.channel}</Badge>
          <Badge>{v.language}</Badge>
          {v.edited && <Badge tone="blue">edited</Badge>}
          <span class="product" title={v.productID}>
            {v.product?.title ?? v.productID}
            {v.product && <small> · {v.product.category}</small>}
          </span>
        </div>
        {mode === 'edit' ? (
          <form
            class="edit"
            onSubmit={async (e) => {
              e.preventDefault();
              if (await props.onEdit(v.id, headline, text, editFrom)) setMode('');
            }}
          >
            {v.revision !== editFrom && (
              <p class="stale" role="status">
                The words changed since you started editing (another edit). Cancel to read them, then edit again.
              </p>
            )}
            <input type="text" value={headline} onInput={(e) => setHeadline((e.target as HTMLInputElement).value)} aria-label="Headline" />
            <textarea rows={4} value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} aria-label="Text" />
            <div class="actions">
              <button type="submit" class="primary" disabled={busy || !text.trim()}>
                Save and re-check
              </button>
              <button type="button" class="link" onClick={() => setMode('')}>
                Cancel
              </button>
            </div>
          </form>
        ) : (
          <div class="copy">
            {v.headline && <strong>{v.headline}</strong>}
            <p>{v.text}</p>
          </div>
        )}
        <ul class="checks" aria-label="Checks">
          {v.checks.map((c) => (
            <li class={c.passed ? 'pass' : 'fail'} title={c.detail}>
              <span aria-hidden="true">{c.passed ? '✓' : '✗'}</span> {c.name}
              {!c.passed && c.detail && <em>: {c.detail}</em>}
            </li>
          ))}
        </ul>
        <div class="who">
          {v.persona && <span>For: {v.persona}</span>}
          <span>
            {v.generator} · {v.angle}
          </span>
          <button type="button" class="link history-toggle" onClick={() => setShowHistory(!showHistory)}>
            {showHistory ? 'Hide history' : 'History'}
          </button>
          {v.reviewedBy && (
            <span>
              {v.status === 'REJECTED' ? 'Rejected' : v.status === 'APPROVED' ? 'Approved' : 'Edited'} by {v.reviewedBy}, {when(v.reviewedAt)}
              {v.rejectReason && `: “${v.rejectReason}”`}
            </span>
          )}
        </div>
        {showHistory && <History id={v.id} />}
        {mode === 'reject' && (
          <ReasonPicker
            busy={busy}
            onPick={(r) => {
              setMode('');
              props.onDecide('reject', [v.id], r);
            }}
            onCancel={() => setMode('')}
          />
        )}
      </div>
      <div class="decide">
        <button
          type="button"
          class="approve"
          disabled={busy || v.status === 'APPROVED' || failing.length > 0}
          title={failing.length ? 'Fails a check: edit it first' : 'Approve'}
          onClick={() => props.onDecide('approve', [v.id])}
        >
          Approve
        </button>
        <button type="button" class="reject" disabled={busy || v.status === 'REJECTED'} onClick={() => setMode(mode === 'reject' ? '' : 'reject')}>
          Reject…
        </button>
        <button
          type="button"
          class="quiet"
          disabled={busy}
          onClick={() => {
            setHeadline(v.headline);
            setText(v.text);
            setEditFrom(v.revision);
            setMode(mode === 'edit' ? '' : 'edit');
          }}
        >
          Edit
        </button>
      </div>
    </li>
  );
}

interface BatchJob {
  id: string;
  state: string;
  total: number;
  done: number;
  failed: number;
  error: string | null;
}

const jobFields = `id state total done failed error`;
const BATCH = `mutation ConsoleCopyBatch($filter: ProductFilter, $channels: [CopyChannel!]!) { generateCopyBatch(filter: $filter, channels: $channels) { ${jobFields} } }`;
const JOB = `query ConsoleCopyBatchJob($id: ID!) { copyBatchJob(id: $id) { ${jobFields} } }`;

/**
 * Fills the queue ahead of time: copy for every product of a category on
 * the chosen channels, written in the background (generateCopyBatch) and
 * followed by polling its job once a second.
 */
function CopyBatch({ onDone }: { onDone: () => void }) {
  const [open, setOpen] = useState(false);
  const [category, setCategory] = useState('');
  const [channels, setChannels] = useState<Set<string>>(new Set(['PUSH']));
  const [job, setJob] = useState<BatchJob | null>(null);
  const [err, setErr] = useState<unknown>();
  useEffect(() => {
    if (!job || job.state !== 'RUNNING') return;
    const t = setTimeout(async () => {
      try {
        const d = await gql<{ copyBatchJob: BatchJob | null }>(JOB, { id: job.id });
        if (d.copyBatchJob) {
          setJob(d.copyBatchJob);
          if (d.copyBatchJob.state !== 'RUNNING') onDone();
        }
      } catch (e) {
        setErr(e);
      }
    }, 1000);
    return () => clearTimeout(t);
  }, [job]);
  const start = async (e: Event) => {
    e.preventDefault();
    setErr(undefined);
    try {
      const filter = category.trim() ? { category: category.trim() } : null;
      const d = await gql<{ generateCopyBatch: BatchJob }>(BATCH, { filter, channels: [...channels] });
      setJob(d.generateCopyBatch);
    } catch (e) {
      setErr(e);
    }
  };
  if (!open && !job) {
    return (
      <button type="button" class="quiet" id="batch-open" onClick={() => setOpen(true)}>
        Write copy for a category…
      </button>
    );
  }
  const running = job?.state === 'RUNNING';
  return (
    <div class="card batch">
      {!running && (
        <form onSubmit={start} class="inline">
          <label>
            Category
            <input type="text" name="batch-category" value={category} onInput={(e) => setCategory((e.target as HTMLInputElement).value)} placeholder="e.g. 家电 (empty: all, up to 500)" />
          </label>
          <fieldset>
            <legend>Channels</legend>
            {CHANNELS.map((c) => (
              <label class="tick">
                <input
                  type="checkbox"
                  checked={channels.has(c)}
                  onChange={(e) => {
                    const n = new Set(channels);
                    if ((e.target as HTMLInputElement).checked) n.add(c);
                    else n.delete(c);
                    setChannels(n);
                  }}
                />
                {c}
              </label>
            ))}
          </fieldset>
          <button type="submit" class="primary" disabled={!channels.size}>
            Write
          </button>
          <button type="button" class="link" onClick={() => (setOpen(false), setJob(null))}>
            Close
          </button>
        </form>
      )}
      {job && (
        <div class="job" data-state={job.state}>
          {running ? 'Writing copy' : job.state === 'COMPLETED' ? 'Written' : job.state.toLowerCase()}: {job.done} of {job.total}
          {job.failed > 0 && `, ${job.failed} failed`}
          {job.error && ` (${job.error})`}
          <svg width="100%" height="8" viewBox="0 0 1000 8" preserveAspectRatio="none" aria-hidden="true">
            <rect class="track" x="0" y="0" width="1000" height="8" rx="4" />
            <rect class="fill" x="0" y="0" width={job.total ? Math.round((job.done / job.total) * 1000) : 0} height="8" rx="4" />
          </svg>
        </div>
      )}
      <ErrorBanner error={err} />
    </div>
  );
}

interface Decision {
  action: string;
  actor: string;
  at: string;
  reason: string | null;
  before: { headline: string; text: string; status: Status } | null;
  after: { headline: string; text: string; status: Status } | null;
}

const AUDIT = `query ConsoleAudit($id: ID!) {
  copyReviewAudit(variantID: $id, first: 20) { edges { node { action actor at reason before { headline text status } after { headline text status } } } }
}`;

/** A variant's decisions, newest first: who, when, and what changed. */
function History({ id }: { id: string }) {
  const [items, setItems] = useState<Decision[] | null>(null);
  const [err, setErr] = useState<unknown>();
  useEffect(() => {
    gql<{ copyReviewAudit: { edges: { node: Decision }[] } }>(AUDIT, { id })
      .then((d) => setItems(d.copyReviewAudit.edges.map((e) => e.node)))
      .catch(setErr);
  }, [id]);
  if (err) return <ErrorBanner error={err} />;
  if (!items) return <Loading what="the history" />;
  if (!items.length) return <p class="history empty">No decision yet.</p>;
  return (
    <ol class="history">
      {items.map((d) => (
        <li>
          <strong>{d.action}</strong> by {d.actor}, {when(d.at)}
          {d.before && d.after && d.before.status !== d.after.status && ` (${d.before.status.toLowerCase()} → ${d.after.status.toLowerCase()})`}
          {d.reason && `: “${d.reason}”`}
          {d.before && d.after && d.before.text !== d.after.text && (
            <div class="diff">
              <del>{d.before.text}</del>
              <ins>{d.after.text}</ins>
            </div>
          )}
        </li>
      ))}
    </ol>
  );
}
