// Copy performance per product: each variant's click-through posterior
// (Beta mean and 95% interval, drawn as a bar on one shared scale),
// P(best) from Thompson sampling, and the leader once it has enough data.
import { useEffect, useState } from 'preact/hooks';
import { gql } from './api';
import { Badge, Empty, ErrorBanner, Loading, firstScreenShown, int, pct } from './ui';
import { ProductHits, searchProducts, type ProductHit } from './products';
import { CHANNELS } from './review';

interface VariantPerf {
  variantID: string;
  segment: string;
  impressions: number;
  clicks: number;
  ctr: number;
  posteriorMean: number;
  lower95: number;
  upper95: number;
  probabilityBest: number;
}

interface Perf {
  product: { id: string; title: string; category: string };
  channel: string;
  leader: VariantPerf | null;
  variants: VariantPerf[];
}

const PERF = `query ConsolePerformance($id: ID!, $channel: CopyChannel) {
  copyPerformance(productID: $id, channel: $channel) {
    product { id title category }
    channel
    leader { variantID }
    variants { variantID segment impressions clicks ctr posteriorMean lower95 upper95 probabilityBest }
  }
}`;

const FIRST = `query ConsoleFirstProduct { products(first: 1) { nodes { id } } }`;
// The texts, when this server has the review workflow (it lists every variant).
const TEXTS = `query ConsoleVariantTexts($id: ID!, $channel: CopyChannel) {
  copyReviewQueue(first: 100, filter: { productID: $id, channel: $channel }) { edges { node { id headline text status } } }
}`;

/** The interval bar: one shared 0..max scale for every row, so rows compare. */
function IntervalBar({ v, max, leader }: { v: VariantPerf; max: number; leader: boolean }) {
  const W = 260;
  const x = (p: number) => (max > 0 ? (p / max) * W : 0);
  const lo = x(v.lower95);
  const hi = Math.max(x(v.upper95), lo + 2);
  return (
    <svg class="interval" width={W} height="18" viewBox={`0 0 ${W} 18`} role="img" aria-label={`95% interval ${pct(v.lower95)} to ${pct(v.upper95)}, mean ${pct(v.posteriorMean)}`}>
      <rect class="track" x="0" y="8" width={W} height="2" />
      <rect class={leader ? 'range leader' : 'range'} x={lo} y="4" width={hi - lo} height="10" rx="3" />
      <rect class="mean" x={Math.min(Math.max(x(v.posteriorMean) - 1, 0), W - 2)} y="1" width="2" height="16" />
    </svg>
  );
}

export function Performance() {
  const [productID, setProductID] = useState('');
  const [channel, setChannel] = useState('PUSH');
  const [perf, setPerf] = useState<Perf | null>(null);
  const [texts, setTexts] = useState<Map<string, { headline: string; text: string; status: string }>>(new Map());
  const [err, setErr] = useState<unknown>();
  const [q, setQ] = useState('');
  const [hits, setHits] = useState<ProductHit[]>([]);

  useEffect(() => {
    gql<{ products: { nodes: { id: string }[] } }>(FIRST)
      .then((d) => setProductID(d.products.nodes[0]?.id ?? ''))
      .catch(setErr);
  }, []);
  useEffect(() => {
    if (!productID) return;
    setPerf(null);
    setErr(undefined);
    gql<{ copyPerformance: Perf }>(PERF, { id: productID, channel })
      .then((d) => setPerf(d.copyPerformance))
      .catch(setErr);
    gql<{ copyReviewQueue: { edges: { node: { id: string; headline: string; text: string; status: string } }[] } }>(TEXTS, { id: productID, channel })
      .then((d) => setTexts(new Map(d.copyReviewQueue.edges.map((e) => [e.node.id, e.node]))))
      .catch(() => setTexts(new Map())); // no review workflow: IDs only
  }, [productID, channel]);
  useEffect(() => {
    if (perf) firstScreenShown();
  }, [perf]);

  const search = async (e: Event) => {
    e.preventDefault();
    if (!q.trim()) return;
    try {
      setHits(await searchProducts(q));
    } catch (e) {
      setErr(e);
    }
  };

  const max = perf ? Math.max(0.01, ...perf.variants.map((v) => v.upper95)) : 0;
  return (
    <section class="performance">
      <div class="toolbar">
        <form onSubmit={search} class="inline">
          <label>
            Product
            <input type="search" placeholder="search the catalogue" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
          </label>
          <button type="submit">Search</button>
        </form>
        <label>
          or ID
          <input
            type="text"
            value={productID}
            onChange={(e) => setProductID((e.target as HTMLInputElement).value.trim())}
            aria-label="Product ID"
          />
        </label>
        <label>
          Channel
          <select value={channel} onChange={(e) => setChannel((e.target as HTMLSelectElement).value)}>
            {CHANNELS.map((c) => (
              <option value={c}>{c}</option>
            ))}
          </select>
        </label>
      </div>
      <ProductHits
        hits={hits}
        selected={productID}
        onPick={(id) => {
          setProductID(id);
          setHits([]);
        }}
      />
      <ErrorBanner error={err} />
      {!perf ? (
        !err && <Loading what="copy performance" />
      ) : (
        <>
          <h2>
            {perf.product.title} <small>{perf.product.id} · {perf.product.category} · {perf.channel}</small>
          </h2>
          <p class="lead" id="leader">
            {perf.leader ? (
              <>
                Leader: <code>{perf.leader.variantID}</code> (best posterior mean with at least 30 impressions).
              </>
            ) : (
              'No leader yet: no variant has 30 impressions.'
            )}
          </p>
          {perf.variants.length === 0 ? (
            <Empty>No variant of this product has been served on {perf.channel} yet.</Empty>
          ) : (
            <table class="perf">
              <thead>
                <tr>
                  <th>Variant</th>
                  <th>Segment</th>
                  <th class="num">Impr.</th>
                  <th class="num">Clicks</th>
                  <th class="num">CTR</th>
                  <th>
                    Posterior CTR, 95% interval <small>(0 – {pct(max)})</small>
                  </th>
                  <th class="num">Mean</th>
                  <th>P(best)</th>
                </tr>
              </thead>
              <tbody>
                {perf.variants.map((v) => {
                  const lead = perf.leader?.variantID === v.variantID;
                  const t = texts.get(v.variantID);
                  return (
                    <tr class={lead ? 'leader' : ''}>
                      <td class="vid">
                        <code title={v.variantID}>{v.variantID.length > 14 ? `${v.variantID.slice(0, 14)}…` : v.variantID}</code>
                        {lead && <Badge tone="green">leader</Badge>}
                        {t && <div class="text">{t.headline || t.text}</div>}
                      </td>
                      <td>{v.segment || '—'}</td>
                      <td class="num">{int(v.impressions)}</td>
                      <td class="num">{int(v.clicks)}</td>
                      <td class="num">{pct(v.ctr)}</td>
                      <td>
                        <IntervalBar v={v} max={max} leader={lead} />
                        <small class="range-text">
                          {pct(v.lower95)} – {pct(v.upper95)}
                        </small>
                      </td>
                      <td class="num">{pct(v.posteriorMean)}</td>
                      <td>
                        <svg class="pbest" width="80" height="10" viewBox="0 0 80 10" aria-hidden="true">
                          <rect class="track" x="0" y="0" width="80" height="10" rx="2" />
                          <rect class="fill" x="0" y="0" width={Math.max(1, v.probabilityBest * 80)} height="10" rx="2" />
                        </svg>{' '}
                        {pct(v.probabilityBest, 0)}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
