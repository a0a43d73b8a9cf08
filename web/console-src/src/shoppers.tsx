// A shopper as shopmuse sees them: the profile, the persona copy is written
// for, and what each placement would show them, with the reasons and the
// copy variant they would be served.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { gql } from './api';
import { Badge, Empty, ErrorBanner, Loading, firstScreenShown } from './ui';

interface Rec {
  score: number;
  product: { id: string; title: string; category: string; price: { amount: string; currencyCode: string } };
  reasons: { kind: string; message: string }[];
  copy: { generator: string; variants: { id: string; headline: string; text: string }[] };
}

interface Shopper {
  id: string;
  name: string;
  age: number | null;
  gender: string | null;
  interests: string[];
  persona: {
    age: number | null;
    gender: string | null;
    interests: string[];
    style: string;
    topCategories: string[];
    priceBand: string;
    recentViews: string[];
    segment: string;
  };
  FOR_YOU: Rec[];
  DISCOVER: Rec[];
  CONTINUE: Rec[];
  BUY_AGAIN: Rec[];
}

const PLACEMENTS = [
  ['FOR_YOU', 'For you', 'the calibrated blend'],
  ['DISCOVER', 'Discover', 'never viewed, carted or bought'],
  ['CONTINUE', 'Continue', 'viewed or carted, not bought'],
  ['BUY_AGAIN', 'Buy again', 'consumables due again'],
] as const;

const rec = `score product { id title category price { amount currencyCode } } reasons { kind message } copy(channel: PUSH) { generator variants { id headline text } }`;
const USER = `query ConsoleShopper($id: ID!, $n: Int) {
  user(id: $id) {
    id name age gender interests
    persona { age gender interests style topCategories priceBand recentViews segment }
    ${PLACEMENTS.map(([p]) => `${p}: recommendations(first: $n, placement: ${p}) { ${rec} }`).join('\n    ')}
  }
}`;
const USERS = `query ConsoleUsers($after: String) { users(first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id name } } }`;

export function Shoppers() {
  const [users, setUsers] = useState<{ id: string; name: string }[] | null>(null);
  const [q, setQ] = useState('');
  const [id, setID] = useState('');
  const [err, setErr] = useState<unknown>();
  useEffect(() => {
    gql<{ users: { nodes: { id: string; name: string }[] } }>(USERS)
      .then((d) => {
        setUsers(d.users.nodes);
        setID((cur) => cur || d.users.nodes[0]?.id || '');
        if (!d.users.nodes.length) firstScreenShown();
      })
      .catch((e) => {
        setErr(e);
        setUsers([]);
      });
  }, []);
  const shown = useMemo(() => {
    const s = q.trim().toLowerCase();
    return (users ?? []).filter((u) => !s || u.id.toLowerCase().includes(s) || u.name.toLowerCase().includes(s));
  }, [users, q]);
  return (
    <section class="shoppers">
      <div class="columns">
        <aside class="card userlist">
          <input type="search" placeholder="filter, or an ID + Enter" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)}
            onKeyDown={(e) => e.key === 'Enter' && q.trim() && setID(q.trim())} aria-label="Find a shopper" />
          {users === null ? (
            <Loading what="shoppers" />
          ) : (
            <ul>
              {shown.map((u) => (
                <li>
                  <button type="button" class={`link ${u.id === id ? 'on' : ''}`} onClick={() => setID(u.id)}>
                    <span>{u.name || u.id}</span> <small>{u.id}</small>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </aside>
        <div class="detail">
          <ErrorBanner error={err} />
          {id ? <ShopperDetail key={id} id={id} /> : users && <Empty>No shoppers yet.</Empty>}
        </div>
      </div>
    </section>
  );
}

function ShopperDetail({ id }: { id: string }) {
  const [s, setS] = useState<Shopper | null | undefined>(undefined);
  const [err, setErr] = useState<unknown>();
  useEffect(() => {
    // A preview: looking at a shopper is no impression of theirs.
    gql<{ user: Shopper | null }>(USER, { id, n: 4 }, undefined, true)
      .then((d) => setS(d.user))
      .catch((e) => {
        setErr(e);
        setS(null);
      });
  }, [id]);
  useEffect(() => {
    if (s !== undefined) firstScreenShown();
  }, [s]);
  if (s === undefined) return <Loading what={`shopper ${id}`} />;
  if (s === null) return err ? <ErrorBanner error={err} /> : <Empty>No shopper has the ID {id}.</Empty>;
  const p = s.persona;
  return (
    <div class="shopper" data-user={s.id}>
      <h2>
        {s.name || s.id} <small>{s.id}</small>
      </h2>
      <div class="persona card">
        <h3>Persona</h3>
        <dl class="facts">
          <dt>Segment</dt>
          <dd>
            <code>{p.segment || '—'}</code>
          </dd>
          <dt>Age, gender</dt>
          <dd>
            {p.age ?? '—'}, {p.gender?.toLowerCase() ?? '—'}
          </dd>
          <dt>Interests</dt>
          <dd>{p.interests.length ? p.interests.map((i) => <Badge>{i}</Badge>) : '—'}</dd>
          <dt>Style</dt>
          <dd>{p.style || '—'}</dd>
          <dt>Price band</dt>
          <dd>{p.priceBand || '—'}</dd>
          <dt>Top categories</dt>
          <dd>{p.topCategories.join(', ') || '—'}</dd>
          <dt>Recently viewed</dt>
          <dd>{p.recentViews.slice(0, 5).join(' · ') || '—'}</dd>
        </dl>
      </div>
      <div class="placements">
        {PLACEMENTS.map(([key, label, what]) => (
          <section class="placement card" data-placement={key}>
            <h3>
              {label} <small>{what}</small>
            </h3>
            {s[key].length === 0 ? (
              <Empty>Nothing for this placement.</Empty>
            ) : (
              <ol>
                {s[key].map((r) => {
                  const v = r.copy.variants[0];
                  return (
                    <li>
                      <div class="title">
                        {r.product.title}{' '}
                        <small>
                          {r.product.price.amount} {r.product.price.currencyCode}
                        </small>
                      </div>
                      <ul class="reasons">
                        {r.reasons.map((x) => (
                          <li>
                            <Badge>{x.kind}</Badge> {x.message}
                          </li>
                        ))}
                      </ul>
                      {v ? (
                        <blockquote class="copy" title={`${v.id} · ${r.copy.generator}`}>
                          {v.headline && <strong>{v.headline} </strong>}
                          {v.text}
                        </blockquote>
                      ) : (
                        <p class="nocopy">No approved copy: this shopper sees the product without copy.</p>
                      )}
                    </li>
                  );
                })}
              </ol>
            )}
          </section>
        ))}
      </div>
    </div>
  );
}
