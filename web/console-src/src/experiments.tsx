// Experiments: the list, a form that starts one (createExperiment), and each
// one's report with its intervals; Stop… then Stop ends a running one.
// main.tsx shows this tab only when the server's schema has experiments.
import { useEffect, useState } from 'preact/hooks';
import { gql, type UserError } from './api';
import { Badge, Empty, ErrorBanner, Loading, Notice, firstScreenShown, int, pct, when } from './ui';
import { Check, Field, FieldError, type FieldErrors, byField, num, splitList, unclaimed } from './forms';

// ---------------------------------------------------------------- experiments

interface ArmConfig {
  weights: { retriever: string; weight: number }[];
  mmrLambda: number | null;
  categoryCap: number | null;
  placement: string | null;
  ruleSets: string[];
}

interface Arm {
  name: string;
  weight: number;
  control: boolean;
}

interface Experiment {
  id: string;
  name: string;
  status: 'RUNNING' | 'STOPPED';
  arms: (Arm & { config: ArmConfig })[];
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

const expFields = `id name status arms { name weight control config { weights { retriever weight } mmrLambda categoryCap placement ruleSets } } createdAt stoppedAt`;
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

// ------------------------------------------------------------------- the form

const CREATE = `mutation ConsoleCreateExperiment($input: ExperimentInput!) {
  createExperiment(input: $input) { experiment { ${expFields} } userErrors { field message code } }
}`;
const RETRIEVERS = ['itemcf', 'mf', 'content', 'session', 'repeat', 'seen', 'trending', 'popular'];
const PLACEMENTS = ['FOR_YOU', 'DISCOVER', 'CONTINUE', 'BUY_AGAIN'];

/** An arm as the form holds it: text as typed. */
interface ArmDraft {
  name: string;
  weight: string;
  mmrLambda: string;
  categoryCap: string;
  placement: string;
  ruleSets: string;
  weights: Record<string, string>; // by retriever; empty: unchanged
}

const newArm = (name: string): ArmDraft => ({ name, weight: '1', mmrLambda: '', categoryCap: '', placement: '', ruleSets: '', weights: {} });

/** What the page can tell without the server; keys as the server names fields under input. */
function checkExperiment(name: string, arms: ArmDraft[]): FieldErrors {
  const c = new Check();
  if (!name.trim()) c.add('name', 'give the experiment a name');
  else if ([...name.trim()].length > 100) c.add('name', 'at most 100 characters');
  if (arms.length < 2 || arms.length > 10) c.add('arms', 'an experiment has 2 to 10 arms');
  const seen = new Set<string>();
  arms.forEach((a, i) => {
    const at = (f: string) => `arms.${i}.${f}`;
    const n = a.name.trim();
    if (!n) c.add(at('name'), 'give the arm a name');
    else if ([...n].length > 50) c.add(at('name'), 'at most 50 characters');
    else if (seen.has(n)) c.add(at('name'), `another arm is called ${n}`);
    seen.add(n);
    const w = num(a.weight);
    if (!(w > 0 && w <= 1_000_000)) c.add(at('weight'), 'a number above 0, at most 1000000');
    for (const k of ['mmrLambda', 'categoryCap'] as const) {
      if (a[k].trim() && !(num(a[k]) > 0 && num(a[k]) <= 1)) c.add(at(`config.${k}`), 'a number above 0, at most 1');
    }
    for (const r of RETRIEVERS) {
      const v = a.weights[r]?.trim();
      if (v && !(num(v) >= 0 && num(v) <= 100)) c.add(at('config.weights'), `${r}: a blend weight from 0 to 100`);
    }
  });
  return c.errs;
}

/** The ExperimentInput for the form (checks passed). An arm that changes nothing has no config: the control. */
function experimentInput(name: string, arms: ArmDraft[]) {
  return {
    name: name.trim(),
    arms: arms.map((a) => {
      const config: Record<string, unknown> = {};
      const weights = RETRIEVERS.filter((r) => a.weights[r]?.trim()).map((r) => ({ retriever: r, weight: num(a.weights[r]) }));
      if (weights.length) config.weights = weights;
      if (a.mmrLambda.trim()) config.mmrLambda = num(a.mmrLambda);
      if (a.categoryCap.trim()) config.categoryCap = num(a.categoryCap);
      if (a.placement) config.placement = a.placement;
      const sets = splitList(a.ruleSets);
      if (sets.length) config.ruleSets = sets;
      return { name: a.name.trim(), weight: num(a.weight), ...(Object.keys(config).length ? { config } : {}) };
    }),
  };
}

function ExperimentForm({ running, onCreated, onCancel }: { running?: Experiment; onCreated: (x: Experiment) => void; onCancel: () => void }) {
  const [name, setName] = useState('');
  const [arms, setArms] = useState<ArmDraft[]>([newArm('control'), newArm('treatment')]);
  const [errs, setErrs] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<unknown>();
  const setArm = (i: number, patch: Partial<ArmDraft>) => setArms((old) => old.map((a, j) => (j === i ? { ...a, ...patch } : a)));
  const submit = async (e: Event) => {
    e.preventDefault();
    setErr(undefined);
    const local = checkExperiment(name, arms);
    setErrs(local);
    if (Object.keys(local).length) return; // nothing is sent until the page finds nothing wrong
    setBusy(true);
    try {
      const d = await gql<{ createExperiment: { experiment: Experiment | null; userErrors: UserError[] } }>(CREATE, { input: experimentInput(name, arms) });
      const p = d.createExperiment;
      if (p.userErrors.length || !p.experiment) setErrs(byField(p.userErrors, 1));
      else onCreated(p.experiment);
    } catch (e) {
      setErr(e);
    } finally {
      setBusy(false);
    }
  };
  const shown = ['name', 'arms'];
  const general = unclaimed(errs, shown);
  return (
    <form class="card experiment-form" onSubmit={submit} noValidate>
      <h3>New experiment</h3>
      {running && (
        <Notice kind="warn">
          {running.name} is running; one experiment runs at a time, so stop it before this one can start.
        </Notice>
      )}
      <ErrorBanner error={err} />
      {general.length > 0 && <ErrorBanner error={new Error(general.join('; '))} />}
      <div class="grid">
        <Field label="Name" name="name" errs={errs} wide>
          <input type="text" name="name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} placeholder="e.g. More discovery on the home page" />
        </Field>
      </div>
      <FieldError errs={{ arms: errs.arms ?? [] }} name="arms" />
      <p class="hint">Shoppers are split between the arms by weight and stay in theirs. An arm with nothing changed is the control.</p>
      <ol class="arms">
        {arms.map((a, i) => {
          const at = (f: string) => `arms.${i}.${f}`;
          return (
            <li class="card arm" data-arm={i}>
              <div class="grid">
                <Field label={`Arm ${i + 1}`} name={at('name')} errs={errs}>
                  <input type="text" name="arm-name" value={a.name} onInput={(e) => setArm(i, { name: (e.target as HTMLInputElement).value })} />
                </Field>
                <Field label="Weight" name={at('weight')} errs={errs} hint="share, relative to the others">
                  <input type="number" name="arm-weight" min="0" step="any" value={a.weight} onInput={(e) => setArm(i, { weight: (e.target as HTMLInputElement).value })} />
                </Field>
                <Field label="MMR λ" name={at('config.mmrLambda')} errs={errs} hint="(0, 1]; 1: pure relevance">
                  <input type="number" name="arm-mmr" min="0" max="1" step="any" value={a.mmrLambda} onInput={(e) => setArm(i, { mmrLambda: (e.target as HTMLInputElement).value })} />
                </Field>
                <Field label="Category cap" name={at('config.categoryCap')} errs={errs} hint="(0, 1] of the list">
                  <input type="number" name="arm-cap" min="0" max="1" step="any" value={a.categoryCap} onInput={(e) => setArm(i, { categoryCap: (e.target as HTMLInputElement).value })} />
                </Field>
                <Field label="Default placement" name={at('config.placement')} errs={errs}>
                  <select name="arm-placement" value={a.placement} onChange={(e) => setArm(i, { placement: (e.target as HTMLSelectElement).value })}>
                    <option value="">unchanged</option>
                    {PLACEMENTS.map((p) => (
                      <option value={p}>{p}</option>
                    ))}
                  </select>
                </Field>
                <Field label="Rule sets" name={at('config.ruleSets')} errs={errs} hint="merchandising rule sets on for this arm; comma separated">
                  <input type="text" name="arm-rulesets" value={a.ruleSets} onInput={(e) => setArm(i, { ruleSets: (e.target as HTMLInputElement).value })} />
                </Field>
              </div>
              <div class={`field wide${errs[at('config.weights')] ? ' invalid' : ''}`} data-field={at('config.weights')}>
                <span class="label">Retriever blend weights (0–100; empty: unchanged)</span>
                <div class="weights">
                  {RETRIEVERS.map((r) => (
                    <label>
                      {r}
                      <input
                        type="number"
                        name={`arm-w-${r}`}
                        min="0"
                        max="100"
                        step="any"
                        value={a.weights[r] ?? ''}
                        onInput={(e) => setArm(i, { weights: { ...a.weights, [r]: (e.target as HTMLInputElement).value } })}
                      />
                    </label>
                  ))}
                </div>
                <FieldError errs={errs} name={at('config.weights')} />
              </div>
              {arms.length > 2 && (
                <button type="button" class="link remove-arm" onClick={() => setArms((old) => old.filter((_, j) => j !== i))}>
                  Remove this arm
                </button>
              )}
            </li>
          );
        })}
      </ol>
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Starting…' : 'Start experiment'}
        </button>
        {arms.length < 10 && (
          <button type="button" id="add-arm" onClick={() => setArms((old) => [...old, newArm(`arm ${old.length + 1}`)])}>
            Add an arm
          </button>
        )}
        <button type="button" class="link" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** An arm's changes in words. */
function describeConfig(c: ArmConfig): string {
  const parts: string[] = [];
  if (c.weights.length) parts.push(`weights ${c.weights.map((w) => `${w.retriever} ${w.weight}`).join(', ')}`);
  if (c.mmrLambda != null) parts.push(`MMR λ ${c.mmrLambda}`);
  if (c.categoryCap != null) parts.push(`category cap ${c.categoryCap}`);
  if (c.placement) parts.push(`placement ${c.placement}`);
  if (c.ruleSets.length) parts.push(`rule sets ${c.ruleSets.join(', ')}`);
  return parts.join('; ');
}

// ----------------------------------------------------------------- the screen

export function Experiments() {
  const [list, setList] = useState<Experiment[] | null>(null);
  const [open, setOpen] = useState('');
  const [err, setErr] = useState<unknown>();
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState('');
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
  const running = list?.find((x) => x.status === 'RUNNING');
  return (
    <section class="experiments">
      <ErrorBanner error={err} />
      {notice && <Notice kind="ok">{notice}</Notice>}
      <div class="toolbar">
        {!creating && (
          <button
            type="button"
            class="primary"
            id="experiment-new"
            onClick={() => {
              setNotice('');
              setCreating(true);
            }}
          >
            New experiment
          </button>
        )}
      </div>
      {creating && (
        <ExperimentForm
          running={running}
          onCancel={() => setCreating(false)}
          onCreated={(x) => {
            setCreating(false);
            setNotice(`Started ${x.name}: shoppers are assigned to its arms from their next recommendation.`);
            setList((l) => [x, ...(l ?? [])]);
            setOpen(x.id);
          }}
        />
      )}
      {list === null ? (
        <Loading what="experiments" />
      ) : list.length === 0 ? (
        <Empty>No experiment yet.</Empty>
      ) : (
        <div class="columns">
          <aside class="card">
            <ul class="recent">
              {list.map((x) => (
                <li>
                  <button type="button" class={`link ${x.id === open ? 'on' : ''}`} data-id={x.id} onClick={() => setOpen(x.id)}>
                    {x.name} <Badge tone={x.status === 'RUNNING' ? 'blue' : 'grey'}>{x.status.toLowerCase()}</Badge>
                  </button>
                </li>
              ))}
            </ul>
          </aside>
          <div class="detail">{current && <ExperimentDetail key={`${current.id}-${current.status}`} x={current} onChanged={load} />}</div>
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
    <div class="experiment" data-id={x.id} data-status={x.status}>
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
              <button type="button" class="reject stop-confirm" onClick={stop}>
                Stop: shoppers get the default again
              </button>
              <button type="button" class="link" onClick={() => setConfirm(false)}>
                Cancel
              </button>
            </>
          ) : (
            <button type="button" class="stop-ask" onClick={() => setConfirm(true)}>
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
                    {!a.control && <div class="text">{describeConfig(x.arms.find((y) => y.name === a.name)?.config ?? { weights: [], mmrLambda: null, categoryCap: null, placement: null, ruleSets: [] })}</div>}
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
