// Experiments and merchandising rules. main.tsx shows these tabs only when
// the server's schema has experiments / merchandisingRules.
import { useEffect, useState } from 'preact/hooks';
import { gql, type UserError } from './api';
import { Badge, Empty, ErrorBanner, Loading, Notice, firstScreenShown, int, pct, when } from './ui';

// ---------------------------------------------------------------- experiments

interface Arm {
  name: string;
  weight: number;
  control: boolean;
}

interface Experiment {
  id: string;
  name: string;
  status: 'RUNNING' | 'STOPPED';
  arms: Arm[];
  createdAt: string;
  stoppedAt: string | null;
}

interface Estimate {
  value: number;
  low: number;
  high: number;
}

interface ArmReport extends Arm {
  users: number;
  exposures: number;
  clicks: number;
  carts: number;
  purchases: number;
  revenue: string;
  ctr: Estimate;
  conversion: Estimate;
  revenuePerExposure: Estimate;
  pBest: number;
  pBestConversion: number;
}

interface Report {
  primaryMetric: string;
  winner: string | null;
  sampleRatioP: number;
  sampleRatioMismatch: boolean;
  arms: ArmReport[];
}

const expFields = `id name status arms { name weight control } createdAt stoppedAt`;
const EXPERIMENTS = `query ConsoleExperiments { experiments(first: 100) { nodes { ${expFields} } } }`;
const est = `{ value low high }`;
const REPORT = `query ConsoleExperimentReport($id: ID!) {
  experimentReport(id: $id) {
    primaryMetric winner sampleRatioP sampleRatioMismatch
    arms { name weight control users exposures clicks carts purchases revenue ctr ${est} conversion ${est} revenuePerExposure ${est} pBest pBestConversion }
  }
}`;
const STOP = `mutation ConsoleStopExperiment($id: ID!) { stopExperiment(id: $id) { experiment { ${expFields} } userErrors { field message code } } }`;

function EstimateBar({ e, max }: { e: Estimate; max: number }) {
  const W = 200;
  const x = (p: number) => (max > 0 ? Math.min(W, Math.max(0, (p / max) * W)) : 0);
  const lo = x(e.low);
  const hi = Math.max(x(e.high), lo + 2);
  return (
    <svg class="interval" width={W} height="18" viewBox={`0 0 ${W} 18`} role="img" aria-label={`${pct(e.value, 2)} (${pct(e.low, 2)} – ${pct(e.high, 2)})`}>
      <rect class="track" x="0" y="8" width={W} height="2" />
      <rect class="range" x={lo} y="4" width={hi - lo} height="10" rx="3" />
      <rect class="mean" x={Math.min(Math.max(x(e.value) - 1, 0), W - 2)} y="1" width="2" height="16" />
    </svg>
  );
}

export function Experiments() {
  const [list, setList] = useState<Experiment[] | null>(null);
  const [open, setOpen] = useState('');
  const [err, setErr] = useState<unknown>();
  const load = () =>
    gql<{ experiments: { nodes: Experiment[] } }>(EXPERIMENTS)
      .then((d) => {
        // Newest first: the running one is what a merchant looks for.
        const l = [...d.experiments.nodes].reverse();
        setList(l);
        setOpen((cur) => cur || l[0]?.id || '');
      })
      .catch((e) => {
        setErr(e);
        setList([]);
      });
  useEffect(() => {
    load();
  }, []);
  useEffect(() => {
    if (list && !list.length) firstScreenShown();
  }, [list]);
  const current = list?.find((x) => x.id === open);
  return (
    <section class="experiments">
      <ErrorBanner error={err} />
      {list === null ? (
        <Loading what="experiments" />
      ) : list.length === 0 ? (
        <Empty>No experiment yet. Start one with the createExperiment mutation.</Empty>
      ) : (
        <div class="columns">
          <aside class="card">
            <ul class="recent">
              {list.map((x) => (
                <li>
                  <button type="button" class={`link ${x.id === open ? 'on' : ''}`} onClick={() => setOpen(x.id)}>
                    {x.name} <Badge tone={x.status === 'RUNNING' ? 'blue' : 'grey'}>{x.status.toLowerCase()}</Badge>
                  </button>
                </li>
              ))}
            </ul>
          </aside>
          <div class="detail">{current && <ExperimentDetail key={current.id} x={current} onChanged={load} />}</div>
        </div>
      )}
    </section>
  );
}

function ExperimentDetail({ x, onChanged }: { x: Experiment; onChanged: () => void }) {
  const [r, setR] = useState<Report | null | undefined>(undefined);
  const [err, setErr] = useState<unknown>();
  const [confirm, setConfirm] = useState(false);
  useEffect(() => {
    gql<{ experimentReport: Report | null }>(REPORT, { id: x.id })
      .then((d) => setR(d.experimentReport))
      .catch((e) => {
        setErr(e);
        setR(null);
      });
  }, [x.id]);
  useEffect(() => {
    if (r !== undefined) firstScreenShown();
  }, [r]);
  const stop = async () => {
    setConfirm(false);
    try {
      const d = await gql<{ stopExperiment: { userErrors: UserError[] } }>(STOP, { id: x.id });
      if (d.stopExperiment.userErrors.length) setErr(new Error(d.stopExperiment.userErrors.map((u) => u.message).join('; ')));
      else onChanged();
    } catch (e) {
      setErr(e);
    }
  };
  const maxCTR = r ? Math.max(0.001, ...r.arms.map((a) => a.ctr.high)) : 0;
  return (
    <div class="experiment" data-id={x.id}>
      <h2>
        {x.name} <Badge tone={x.status === 'RUNNING' ? 'blue' : 'grey'}>{x.status.toLowerCase()}</Badge>
        <small>
          started {when(x.createdAt)}
          {x.stoppedAt && `, stopped ${when(x.stoppedAt)}`}
        </small>
      </h2>
      {x.status === 'RUNNING' && (
        <div class="toolbar">
          {confirm ? (
            <>
              <button type="button" class="reject" onClick={stop}>
                Stop: shoppers get the default again
              </button>
              <button type="button" class="link" onClick={() => setConfirm(false)}>
                Cancel
              </button>
            </>
          ) : (
            <button type="button" onClick={() => setConfirm(true)}>
              Stop experiment…
            </button>
          )}
        </div>
      )}
      <ErrorBanner error={err} />
      {r === undefined ? (
        <Loading what="the report" />
      ) : r === null ? null : (
        <>
          {r.sampleRatioMismatch ? (
            <Notice kind="warn">Sample ratio mismatch (p = {r.sampleRatioP.toExponential(2)}): assignment or counting is broken; do not trust these results.</Notice>
          ) : r.winner ? (
            <Notice kind="ok">
              Winner on {r.primaryMetric}: <strong>{r.winner}</strong>
            </Notice>
          ) : (
            <Notice>No winner on {r.primaryMetric} yet (needs P(best) ≥ 95% with 100 exposures per arm).</Notice>
          )}
          <table class="perf">
            <thead>
              <tr>
                <th>Arm</th>
                <th class="num">Weight</th>
                <th class="num">Shoppers</th>
                <th class="num">Exposures</th>
                <th class="num">Clicks</th>
                <th class="num">Carts</th>
                <th class="num">Purchases</th>
                <th class="num">Revenue</th>
                <th>CTR, 95% interval</th>
                <th class="num">Conversion</th>
                <th class="num">P(best)</th>
              </tr>
            </thead>
            <tbody>
              {r.arms.map((a) => (
                <tr class={a.name === r.winner ? 'leader' : ''}>
                  <td>
                    {a.name} {a.control && <Badge>control</Badge>}
                  </td>
                  <td class="num">{a.weight}</td>
                  <td class="num">{int(a.users)}</td>
                  <td class="num">{int(a.exposures)}</td>
                  <td class="num">{int(a.clicks)}</td>
                  <td class="num">{int(a.carts)}</td>
                  <td class="num">{int(a.purchases)}</td>
                  <td class="num">{a.revenue}</td>
                  <td>
                    <EstimateBar e={a.ctr} max={maxCTR} />
                    <small class="range-text">
                      {pct(a.ctr.value, 2)} ({pct(a.ctr.low, 2)} – {pct(a.ctr.high, 2)})
                    </small>
                  </td>
                  <td class="num">{pct(a.conversion.value, 2)}</td>
                  <td class="num">{pct(a.pBest, 0)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}

// ---------------------------------------------------------------------- rules

interface Rule {
  id: string;
  name: string;
  action: 'PIN' | 'BOOST' | 'BURY' | 'HIDE';
  position: number | null;
  factor: number | null;
  condition: {
    productIDs: string[] | null;
    categoryPrefix: string | null;
    brands: string[] | null;
    tags: string[] | null;
    minPrice: string | null;
    maxPrice: string | null;
    available: boolean | null;
    onPromotion: boolean | null;
  };
  segment: { interests: string[]; minAge: number | null; maxAge: number | null; gender: string | null } | null;
  placements: string[];
  startsAt: string | null;
  endsAt: string | null;
  ruleSet: string | null;
  updatedAt: string;
}

const RULES = `query ConsoleRules($after: String) {
  merchandisingRules(first: 100, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes {
      id name action position factor
      condition { productIDs categoryPrefix brands tags minPrice maxPrice available onPromotion }
      segment { interests minAge maxAge gender }
      placements startsAt endsAt ruleSet updatedAt
    }
  }
}`;
const DELETE = `mutation ConsoleDeleteRules($ids: [ID!]!) { deleteMerchandisingRules(ids: $ids) { deletedIDs userErrors { message } } }`;

const actionTone = { PIN: 'blue', BOOST: 'green', BURY: 'amber', HIDE: 'red' } as const;

function describeCondition(c: Rule['condition']): string {
  const parts: string[] = [];
  if (c.productIDs?.length) parts.push(`products ${c.productIDs.slice(0, 3).join(', ')}${c.productIDs.length > 3 ? ` +${c.productIDs.length - 3}` : ''}`);
  if (c.categoryPrefix) parts.push(`category ${c.categoryPrefix}`);
  if (c.brands?.length) parts.push(`brand ${c.brands.join(' / ')}`);
  if (c.tags?.length) parts.push(`tag ${c.tags.join(' / ')}`);
  if (c.minPrice || c.maxPrice) parts.push(`price ${c.minPrice ?? '0'}–${c.maxPrice ?? '∞'}`);
  if (c.available != null) parts.push(c.available ? 'available' : 'unavailable');
  if (c.onPromotion != null) parts.push(c.onPromotion ? 'on promotion' : 'not on promotion');
  return parts.join('; ') || '—';
}

function describeSegment(s: Rule['segment']): string {
  if (!s) return 'everyone';
  const parts: string[] = [];
  if (s.interests.length) parts.push(s.interests.join(' / '));
  if (s.minAge != null || s.maxAge != null) parts.push(`age ${s.minAge ?? 0}–${s.maxAge ?? '∞'}`);
  if (s.gender) parts.push(s.gender.toLowerCase());
  return parts.join(', ') || 'everyone';
}

export function Rules() {
  const [rules, setRules] = useState<Rule[] | null>(null);
  const [total, setTotal] = useState(0);
  const [next, setNext] = useState<string | null>(null);
  const [err, setErr] = useState<unknown>();
  const [confirm, setConfirm] = useState('');
  const load = async (after: string | null = null) => {
    try {
      const d = await gql<{ merchandisingRules: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: Rule[] } }>(RULES, { after });
      const m = d.merchandisingRules;
      setRules((prev) => (after && prev ? [...prev, ...m.nodes] : m.nodes));
      setTotal(m.totalCount);
      setNext(m.pageInfo.hasNextPage ? m.pageInfo.endCursor : null);
    } catch (e) {
      setErr(e);
      setRules((prev) => prev ?? []);
    }
  };
  useEffect(() => {
    load();
  }, []);
  useEffect(() => {
    if (rules) firstScreenShown();
  }, [rules]);
  const remove = async (id: string) => {
    setConfirm('');
    try {
      const d = await gql<{ deleteMerchandisingRules: { deletedIDs: string[]; userErrors: { message: string }[] } }>(DELETE, { ids: [id] });
      const p = d.deleteMerchandisingRules;
      if (p.userErrors.length) {
        setErr(new Error(p.userErrors.map((u) => u.message).join('; ')));
        return;
      }
      setRules((prev) => (prev ?? []).filter((r) => r.id !== id));
      setTotal((t) => t - 1);
    } catch (e) {
      setErr(e);
    }
  };
  return (
    <section class="rules">
      <ErrorBanner error={err} />
      {rules === null ? (
        <Loading what="merchandising rules" />
      ) : rules.length === 0 ? (
        <Empty>No merchandising rule yet. Add them with the upsertMerchandisingRules mutation.</Empty>
      ) : (
        <>
          <p class="lead">
            {int(total)} rule{total === 1 ? '' : 's'}, applied to every recommendation list and campaign message.
          </p>
          <table class="perf" id="rules-table">
            <thead>
              <tr>
                <th>Rule</th>
                <th>Action</th>
                <th>Applies to</th>
                <th>Shoppers</th>
                <th>Placements</th>
                <th>Window</th>
                <th>Rule set</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {rules.map((r) => (
                <tr data-id={r.id}>
                  <td>
                    {r.name || <code>{r.id}</code>}
                    {r.name && (
                      <div class="text">
                        <code>{r.id}</code>
                      </div>
                    )}
                  </td>
                  <td>
                    <Badge tone={actionTone[r.action]}>{r.action.toLowerCase()}</Badge>
                    {r.action === 'PIN' && r.position != null && `at ${r.position}`}
                    {(r.action === 'BOOST' || r.action === 'BURY') && r.factor != null && `×${r.factor}`}
                  </td>
                  <td>{describeCondition(r.condition)}</td>
                  <td>{describeSegment(r.segment)}</td>
                  <td>{r.placements.length ? r.placements.join(', ') : 'all'}</td>
                  <td>
                    {r.startsAt || r.endsAt ? (
                      <small>
                        {when(r.startsAt)} → {when(r.endsAt)}
                      </small>
                    ) : (
                      'always'
                    )}
                  </td>
                  <td>{r.ruleSet ? <code>{r.ruleSet}</code> : '—'}</td>
                  <td>
                    {confirm === r.id ? (
                      <button type="button" class="reject" onClick={() => remove(r.id)}>
                        Delete
                      </button>
                    ) : (
                      <button type="button" class="quiet" onClick={() => setConfirm(r.id)}>
                        Delete…
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {next && (
            <button type="button" class="more" onClick={() => load(next)}>
              Load more
            </button>
          )}
        </>
      )}
    </section>
  );
}
