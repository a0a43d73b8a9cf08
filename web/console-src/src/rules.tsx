// Merchandising rules: the stored rules with what they match, where and
// when; a form creates or edits one (upsertMerchandisingRules replaces a
// rule whole, so the form carries every part of it), Delete… removes one.
// main.tsx shows this tab only when the server has merchandisingRules.
import { useEffect, useState } from 'preact/hooks';
import { gql, type UserError } from './api';
import { Badge, Empty, ErrorBanner, Loading, Notice, firstScreenShown, int, when } from './ui';
import { Check, Field, FieldError, type FieldErrors, byField, fromLocalInput, num, splitList, toLocalInput, unclaimed } from './forms';

type Action = 'PIN' | 'BOOST' | 'BURY' | 'HIDE';

interface Rule {
  id: string;
  name: string;
  action: Action;
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

const ruleFields = `id name action position factor
      condition { productIDs categoryPrefix brands tags minPrice maxPrice available onPromotion }
      segment { interests minAge maxAge gender }
      placements startsAt endsAt ruleSet updatedAt`;
const RULES = `query ConsoleRules($after: String) {
  merchandisingRules(first: 100, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { ${ruleFields} }
  }
}`;
const DELETE = `mutation ConsoleDeleteRules($ids: [ID!]!) { deleteMerchandisingRules(ids: $ids) { deletedIDs userErrors { message } } }`;
const UPSERT = `mutation ConsoleUpsertRule($input: [MerchandisingRuleInput!]!) {
  upsertMerchandisingRules(input: $input) { rules { ${ruleFields} } userErrors { field message code } }
}`;

const ACTIONS: Action[] = ['PIN', 'BOOST', 'BURY', 'HIDE'];
const PLACEMENTS = ['FOR_YOU', 'DISCOVER', 'CONTINUE', 'BUY_AGAIN'];
const actionTone = { PIN: 'blue', BOOST: 'green', BURY: 'amber', HIDE: 'red' } as const;
const actionHelp: Record<Action, string> = {
  PIN: 'puts one matching product at a position',
  BOOST: "multiplies matching products' scores",
  BURY: "divides matching products' scores",
  HIDE: 'removes matching products',
};

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

// ------------------------------------------------------------------- the form

type Tri = '' | 'true' | 'false';

/** A rule as the form holds it: text as typed. */
interface Draft {
  id: string; // '' for a new rule
  name: string;
  action: Action;
  position: string;
  factor: string;
  productIDs: string;
  categoryPrefix: string;
  brands: string;
  tags: string;
  minPrice: string;
  maxPrice: string;
  available: Tri;
  onPromotion: Tri;
  interests: string;
  minAge: string;
  maxAge: string;
  gender: string;
  placements: string[];
  startsAt: string;
  endsAt: string;
  ruleSet: string;
}

const blank: Draft = {
  id: '',
  name: '',
  action: 'PIN',
  position: '1',
  factor: '',
  productIDs: '',
  categoryPrefix: '',
  brands: '',
  tags: '',
  minPrice: '',
  maxPrice: '',
  available: '',
  onPromotion: '',
  interests: '',
  minAge: '',
  maxAge: '',
  gender: '',
  placements: [],
  startsAt: '',
  endsAt: '',
  ruleSet: '',
};

const tri = (b: boolean | null): Tri => (b == null ? '' : b ? 'true' : 'false');

function draftOf(r: Rule): Draft {
  const c = r.condition;
  return {
    id: r.id,
    name: r.name,
    action: r.action,
    position: r.position != null ? String(r.position) : '',
    factor: r.factor != null ? String(r.factor) : '',
    productIDs: (c.productIDs ?? []).join(', '),
    categoryPrefix: c.categoryPrefix ?? '',
    brands: (c.brands ?? []).join(', '),
    tags: (c.tags ?? []).join(', '),
    minPrice: c.minPrice ?? '',
    maxPrice: c.maxPrice ?? '',
    available: tri(c.available),
    onPromotion: tri(c.onPromotion),
    interests: (r.segment?.interests ?? []).join(', '),
    minAge: r.segment?.minAge != null ? String(r.segment.minAge) : '',
    maxAge: r.segment?.maxAge != null ? String(r.segment.maxAge) : '',
    gender: r.segment?.gender ?? '',
    placements: [...r.placements],
    startsAt: toLocalInput(r.startsAt),
    endsAt: toLocalInput(r.endsAt),
    ruleSet: r.ruleSet ?? '',
  };
}

const DECIMAL = /^\d+(\.\d{1,2})?$/;
const WHOLE = /^\d+$/;

/** What the page can tell without the server; keys as the server names fields under the rule. */
function check(d: Draft): FieldErrors {
  const c = new Check();
  if (d.name.trim().length > 100) c.add('name', 'at most 100 characters');
  if (d.action === 'PIN' && !(WHOLE.test(d.position.trim()) && num(d.position) >= 1)) c.add('position', 'a PIN needs a position: a whole number from 1');
  if (d.action === 'BOOST' || d.action === 'BURY') {
    const f = num(d.factor);
    if (!(f >= 1 && f <= 1000)) c.add('factor', 'a number from 1 to 1000');
  }
  const condition = [d.productIDs, d.categoryPrefix, d.brands, d.tags, d.minPrice, d.maxPrice, d.available, d.onPromotion].some((s) => s.trim() !== '');
  if (!condition) c.add('condition', 'give at least one part: a rule with no condition would apply to every product');
  for (const k of ['minPrice', 'maxPrice'] as const) {
    if (d[k].trim() && !DECIMAL.test(d[k].trim())) c.add(`condition.${k}`, 'an amount such as 199 or 199.90');
  }
  if (DECIMAL.test(d.minPrice.trim()) && DECIMAL.test(d.maxPrice.trim()) && Number(d.minPrice) > Number(d.maxPrice)) c.add('condition.minPrice', 'above the maximum price');
  for (const k of ['minAge', 'maxAge'] as const) {
    if (d[k].trim() && !WHOLE.test(d[k].trim())) c.add(`segment.${k}`, 'a whole number of years');
  }
  if (d.startsAt && !fromLocalInput(d.startsAt)) c.add('startsAt', 'not a time');
  if (d.endsAt && !fromLocalInput(d.endsAt)) c.add('endsAt', 'not a time');
  const s = fromLocalInput(d.startsAt);
  const e = fromLocalInput(d.endsAt);
  if (s && e && e <= s) c.add('endsAt', 'must be after the start');
  if (d.ruleSet.trim() && !/^[a-z0-9_-]{1,64}$/.test(d.ruleSet.trim())) c.add('ruleSet', "up to 64 lower-case letters, digits, '_' and '-'");
  return c.errs;
}

/** The MerchandisingRuleInput for a draft (check passed): every part, since an upsert replaces the rule whole. */
function inputOf(d: Draft): Record<string, unknown> {
  const input: Record<string, unknown> = { name: d.name.trim(), action: d.action };
  if (d.id) input.id = d.id;
  if (d.action === 'PIN') input.position = num(d.position);
  if (d.action === 'BOOST' || d.action === 'BURY') input.factor = num(d.factor);
  const cond: Record<string, unknown> = {};
  const ids = splitList(d.productIDs, true);
  if (ids.length) cond.productIDs = ids;
  if (d.categoryPrefix.trim()) cond.categoryPrefix = d.categoryPrefix.trim();
  const brands = splitList(d.brands);
  if (brands.length) cond.brands = brands;
  const tags = splitList(d.tags);
  if (tags.length) cond.tags = tags;
  if (d.minPrice.trim()) cond.minPrice = d.minPrice.trim();
  if (d.maxPrice.trim()) cond.maxPrice = d.maxPrice.trim();
  if (d.available) cond.available = d.available === 'true';
  if (d.onPromotion) cond.onPromotion = d.onPromotion === 'true';
  input.condition = cond;
  const seg: Record<string, unknown> = {};
  const interests = splitList(d.interests);
  if (interests.length) seg.interests = interests;
  if (d.minAge.trim()) seg.minAge = num(d.minAge);
  if (d.maxAge.trim()) seg.maxAge = num(d.maxAge);
  if (d.gender) seg.gender = d.gender;
  if (Object.keys(seg).length) input.segment = seg;
  if (d.placements.length) input.placements = d.placements;
  const s = fromLocalInput(d.startsAt);
  const e = fromLocalInput(d.endsAt);
  if (s) input.startsAt = s;
  if (e) input.endsAt = e;
  if (d.ruleSet.trim()) input.ruleSet = d.ruleSet.trim();
  return input;
}

// The fields the form shows, by the server's names: a userError about
// anything else goes in the banner at the top.
const shown = ['id', 'name', 'action', 'position', 'factor', 'condition', 'segment', 'placements', 'startsAt', 'endsAt', 'ruleSet'];

function RuleForm({ start, onSaved, onCancel }: { start: Draft; onSaved: (r: Rule) => void; onCancel: () => void }) {
  const [d, setD] = useState<Draft>(start);
  const [errs, setErrs] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<unknown>();
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setD((old) => ({ ...old, [k]: v }));
  const text = (k: keyof Draft, props: Record<string, unknown> = {}) => (
    <input type="text" name={k} value={d[k] as string} onInput={(e) => set(k, (e.target as HTMLInputElement).value as never)} {...props} />
  );
  const pick = (k: 'available' | 'onPromotion' | 'gender', options: [string, string][]) => (
    <select name={k} value={d[k]} onChange={(e) => set(k, (e.target as HTMLSelectElement).value as never)}>
      {options.map(([v, l]) => (
        <option value={v}>{l}</option>
      ))}
    </select>
  );
  const submit = async (e: Event) => {
    e.preventDefault();
    setErr(undefined);
    const local = check(d);
    setErrs(local);
    if (Object.keys(local).length) return; // nothing is sent until the page finds nothing wrong
    setBusy(true);
    try {
      const r = await gql<{ upsertMerchandisingRules: { rules: Rule[]; userErrors: UserError[] } }>(UPSERT, { input: [inputOf(d)] });
      const p = r.upsertMerchandisingRules;
      if (p.userErrors.length) setErrs(byField(p.userErrors, 2));
      else onSaved(p.rules[0]);
    } catch (e) {
      setErr(e);
    } finally {
      setBusy(false);
    }
  };
  const general = unclaimed(errs, shown);
  const yesNo: [string, string][] = [
    ['', 'either'],
    ['true', 'yes'],
    ['false', 'no'],
  ];
  return (
    <form class="card rule-form" onSubmit={submit} noValidate data-id={d.id || undefined}>
      <h3>{d.id ? <>Edit rule <code>{d.id}</code></> : 'New rule'}</h3>
      <ErrorBanner error={err} />
      {general.length > 0 && <ErrorBanner error={new Error(general.join('; '))} />}
      <div class="grid">
        <Field label="Name" name="name" errs={errs} wide>
          {text('name', { placeholder: 'for people, e.g. Pin the new tablet' })}
        </Field>
        <Field label="Action" name="action" errs={errs} hint={actionHelp[d.action]}>
          <select name="action" value={d.action} onChange={(e) => set('action', (e.target as HTMLSelectElement).value as Action)}>
            {ACTIONS.map((a) => (
              <option value={a}>{a}</option>
            ))}
          </select>
        </Field>
        {d.action === 'PIN' && (
          <Field label="Position" name="position" errs={errs} hint="1 is the top">
            <input type="number" name="position" min="1" step="1" value={d.position} onInput={(e) => set('position', (e.target as HTMLInputElement).value)} />
          </Field>
        )}
        {(d.action === 'BOOST' || d.action === 'BURY') && (
          <Field label="Factor" name="factor" errs={errs} hint="1–1000">
            <input type="number" name="factor" min="1" max="1000" step="any" value={d.factor} onInput={(e) => set('factor', (e.target as HTMLInputElement).value)} />
          </Field>
        )}
      </div>
      <fieldset class={`grid${errs.condition ? ' invalid' : ''}`} data-field="condition">
        <legend>Applies to products with… (every part given must match)</legend>
        <FieldError errs={{ condition: errs.condition ?? [] }} name="condition" />
        <Field label="Product IDs" name="condition.productIDs" errs={errs} hint="comma or space separated" wide>
          {text('productIDs', { placeholder: 'sku-…' })}
        </Field>
        <Field label="Category prefix" name="condition.categoryPrefix" errs={errs}>
          {text('categoryPrefix', { placeholder: '数码/手机' })}
        </Field>
        <Field label="Brands" name="condition.brands" errs={errs} hint="comma separated">
          {text('brands')}
        </Field>
        <Field label="Tags" name="condition.tags" errs={errs} hint="comma separated">
          {text('tags')}
        </Field>
        <Field label="Min price" name="condition.minPrice" errs={errs}>
          {text('minPrice', { inputMode: 'decimal' })}
        </Field>
        <Field label="Max price" name="condition.maxPrice" errs={errs}>
          {text('maxPrice', { inputMode: 'decimal' })}
        </Field>
        <Field label="Available" name="condition.available" errs={errs}>
          {pick('available', yesNo)}
        </Field>
        <Field label="On promotion" name="condition.onPromotion" errs={errs}>
          {pick('onPromotion', yesNo)}
        </Field>
      </fieldset>
      <fieldset class="grid" data-field="segment">
        <legend>For shoppers (empty: everyone)</legend>
        <Field label="Interests" name="segment.interests" errs={errs} hint="any of them; comma separated">
          {text('interests')}
        </Field>
        <Field label="Min age" name="segment.minAge" errs={errs}>
          {text('minAge', { inputMode: 'numeric' })}
        </Field>
        <Field label="Max age" name="segment.maxAge" errs={errs}>
          {text('maxAge', { inputMode: 'numeric' })}
        </Field>
        <Field label="Gender" name="segment.gender" errs={errs}>
          {pick('gender', [
            ['', 'any'],
            ['FEMALE', 'female'],
            ['MALE', 'male'],
            ['OTHER', 'other'],
          ])}
        </Field>
        <FieldError errs={{ segment: errs.segment ?? [] }} name="segment" />
      </fieldset>
      <fieldset class="grid">
        <legend>Where and when</legend>
        <div class={`field wide${errs.placements ? ' invalid' : ''}`} data-field="placements">
          <span class="label">Placements (none ticked: every list)</span>
          <div class="ticks">
            {PLACEMENTS.map((p) => (
              <label class="tick">
                <input
                  type="checkbox"
                  name="placements"
                  value={p}
                  checked={d.placements.includes(p)}
                  onChange={(e) => {
                    const on = (e.target as HTMLInputElement).checked;
                    set('placements', on ? [...d.placements, p] : d.placements.filter((x) => x !== p));
                  }}
                />
                {p}
              </label>
            ))}
          </div>
          <FieldError errs={errs} name="placements" />
        </div>
        <Field label="Starts" name="startsAt" errs={errs} hint="empty: now">
          <input type="datetime-local" name="startsAt" step="1" value={d.startsAt} onInput={(e) => set('startsAt', (e.target as HTMLInputElement).value)} />
        </Field>
        <Field label="Ends" name="endsAt" errs={errs} hint="empty: never">
          <input type="datetime-local" name="endsAt" step="1" value={d.endsAt} onInput={(e) => set('endsAt', (e.target as HTMLInputElement).value)} />
        </Field>
        <Field label="Rule set" name="ruleSet" errs={errs} hint="empty: always active; else only for experiment arms naming it">
          {text('ruleSet')}
        </Field>
      </fieldset>
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Saving…' : d.id ? 'Save rule' : 'Create rule'}
        </button>
        <button type="button" class="link" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

// ----------------------------------------------------------------- the screen

export function Rules() {
  const [rules, setRules] = useState<Rule[] | null>(null);
  const [total, setTotal] = useState(0);
  const [next, setNext] = useState<string | null>(null);
  const [err, setErr] = useState<unknown>();
  const [confirm, setConfirm] = useState('');
  const [editing, setEditing] = useState<Draft | null>(null);
  const [notice, setNotice] = useState('');
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
    setNotice('');
    try {
      const d = await gql<{ deleteMerchandisingRules: { deletedIDs: string[]; userErrors: { message: string }[] } }>(DELETE, { ids: [id] });
      const p = d.deleteMerchandisingRules;
      if (p.userErrors.length) {
        setErr(new Error(p.userErrors.map((u) => u.message).join('; ')));
        return;
      }
      setRules((prev) => (prev ?? []).filter((r) => r.id !== id));
      setTotal((t) => t - 1);
      if (editing?.id === id) setEditing(null);
    } catch (e) {
      setErr(e);
    }
  };
  const saved = (r: Rule) => {
    const isNew = !editing?.id;
    setEditing(null);
    setNotice(`${isNew ? 'Created' : 'Saved'} rule ${r.name || r.id}: live on the next recommendation.`);
    if (isNew) {
      setRules((prev) => [...(prev ?? []), r]);
      setTotal((t) => t + 1);
    } else {
      setRules((prev) => (prev ?? []).map((x) => (x.id === r.id ? r : x)));
    }
  };
  const edit = (d: Draft) => {
    setNotice('');
    setEditing(d);
    requestAnimationFrame(() => document.querySelector('.rule-form')?.scrollIntoView({ block: 'nearest' }));
  };
  return (
    <section class="rules">
      <ErrorBanner error={err} />
      {notice && <Notice kind="ok">{notice}</Notice>}
      <div class="toolbar">
        {!editing && (
          <button type="button" class="primary" id="rule-new" onClick={() => edit({ ...blank })}>
            New rule
          </button>
        )}
      </div>
      {editing && <RuleForm key={editing.id || 'new'} start={editing} onSaved={saved} onCancel={() => setEditing(null)} />}
      {rules === null ? (
        <Loading what="merchandising rules" />
      ) : rules.length === 0 ? (
        <Empty>No merchandising rule yet.</Empty>
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
                <tr data-id={r.id} class={editing?.id === r.id ? 'editing' : ''}>
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
                  <td class="row-actions">
                    {confirm === r.id ? (
                      <button type="button" class="reject" onClick={() => remove(r.id)}>
                        Delete
                      </button>
                    ) : (
                      <>
                        <button type="button" class="quiet delete" onClick={() => setConfirm(r.id)}>
                          Delete…
                        </button>
                        <button type="button" class="quiet edit" onClick={() => edit(draftOf(r))}>
                          Edit
                        </button>
                      </>
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
