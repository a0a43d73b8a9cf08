// Image facts: what a vision model saw in a product's image, waiting for a
// person. Pick a product, read its image (its imageURL, which the server
// fetches, or a file uploaded from this computer), then approve or reject
// the facts: one click for one, two (tick all, decide) for many. Only
// approved facts may appear in copy.
//
// The console shows an image only when the browser needs nothing from
// another site for it: an imageURL on this server, or the uploaded file
// (a data: URL made in the page). An imageURL elsewhere is a link to open
// in a new tab; the console itself requests nothing off-site.
import { useEffect, useRef, useState } from 'preact/hooks';
import { gql, type UserError } from './api';
import { Badge, Empty, ErrorBanner, Loading, Notice, firstScreenShown, pct, when } from './ui';
import { ProductHits, searchProducts, type ProductHit } from './products';

interface Fact {
  id: string;
  name: string;
  value: string;
  source: string;
  status: 'PENDING' | 'APPROVED' | 'REJECTED';
  confidence: number | null;
  warning: string | null;
  createdAt: string;
}

interface Product {
  id: string;
  title: string;
  category: string;
  imageURL: string;
  attributes: { name: string; value: string }[];
}

const factFields = `id name value source status confidence warning createdAt`;
const LOAD = `query ConsoleImageFacts($id: ID!) {
  product(id: $id) { id title category imageURL attributes { name value } }
  productImageFacts(productID: $id) { ${factFields} }
}`;
const FIRST = `query ConsoleFirstProduct { products(first: 1) { nodes { id } } }`;
const EXTRACT = `mutation ConsoleExtractImageFacts($id: ID!, $image: String) {
  extractImageFacts(productID: $id, image: $image) { facts { ${factFields} } userErrors { field message code } }
}`;
const DECIDE = {
  APPROVED: `mutation ConsoleApproveImageFacts($id: ID!, $ids: [ID!]!) { approveImageFacts(productID: $id, ids: $ids) { facts { ${factFields} } userErrors { field message code } } }`,
  REJECTED: `mutation ConsoleRejectImageFacts($id: ID!, $ids: [ID!]!) { rejectImageFacts(productID: $id, ids: $ids) { facts { ${factFields} } userErrors { field message code } } }`,
};
const MAX_UPLOAD = 5 << 20; // the server's limit, decoded
const UPLOAD_TYPES = ['image/jpeg', 'image/png', 'image/webp'];
const tone = { PENDING: 'amber', APPROVED: 'green', REJECTED: 'red' } as const;
const STATUSES = ['', 'PENDING', 'APPROVED', 'REJECTED'] as const;

/** An http(s) URL, or null: only those become links (never javascript: or the like). */
function webURL(u: string): string | null {
  try {
    const url = new URL(u, location.href);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/** Whether the browser may show the image without asking another site. */
function onThisSite(u: string): boolean {
  if (u.startsWith('data:image/')) return true;
  try {
    return new URL(u, location.href).origin === location.origin;
  } catch {
    return false;
  }
}

export function ImageFacts() {
  const [productID, setProductID] = useState('');
  const [product, setProduct] = useState<Product | null | undefined>(undefined);
  const [facts, setFacts] = useState<Fact[]>([]);
  const [filter, setFilter] = useState<(typeof STATUSES)[number]>('');
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [err, setErr] = useState<unknown>();
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState('');
  const [extractErr, setExtractErr] = useState('');
  const [upload, setUpload] = useState<{ name: string; dataURL: string } | null>(null);
  const [q, setQ] = useState('');
  const [hits, setHits] = useState<ProductHit[]>([]);
  // The product on screen, for answers that arrive after another was picked.
  const current = useRef('');
  current.current = productID;

  useEffect(() => {
    gql<{ products: { nodes: { id: string }[] } }>(FIRST)
      .then((d) => {
        const id = d.products.nodes[0]?.id ?? '';
        setProductID((cur) => cur || id);
        if (!id) setProduct(null);
      })
      .catch((e) => {
        setErr(e);
        setProduct(null);
      });
  }, []);
  useEffect(() => {
    if (!productID) return;
    setProduct(undefined);
    setErr(undefined);
    setNotice('');
    setExtractErr('');
    setUpload(null);
    setPicked(new Set());
    let stale = false;
    gql<{ product: Product | null; productImageFacts: Fact[] }>(LOAD, { id: productID })
      .then((d) => {
        if (stale) return;
        setProduct(d.product);
        setFacts(d.productImageFacts);
      })
      .catch((e) => {
        if (stale) return;
        setErr(e);
        setProduct(null);
      });
    return () => {
      stale = true;
    };
  }, [productID]);
  useEffect(() => {
    if (product !== undefined) firstScreenShown();
  }, [product]);

  const search = async (e: Event) => {
    e.preventDefault();
    if (!q.trim()) return;
    try {
      setHits(await searchProducts(q));
    } catch (e) {
      setErr(e);
    }
  };

  /** Replaces facts by ID with what the server answered (new ones first). */
  const merge = (got: Fact[]) =>
    setFacts((old) => {
      const byID = new Map(got.map((f) => [f.id, f]));
      const known = new Set(old.map((f) => f.id));
      return [...got.filter((f) => !known.has(f.id)), ...old.map((f) => byID.get(f.id) ?? f)];
    });

  const extract = async (image?: string) => {
    const pid = productID;
    setBusy('extract');
    setExtractErr('');
    setNotice('');
    try {
      const d = await gql<{ extractImageFacts: { facts: Fact[]; userErrors: UserError[] } }>(EXTRACT, { id: pid, image: image ?? null });
      if (current.current !== pid) return; // another product is on screen now
      const p = d.extractImageFacts;
      if (p.userErrors.length) {
        setExtractErr(p.userErrors.map((u) => u.message).join('; '));
        return;
      }
      merge(p.facts);
      setFilter('');
      setNotice(p.facts.length ? `The model saw ${p.facts.length} fact${p.facts.length === 1 ? '' : 's'}; they wait for your decision.` : 'The model saw nothing it could state as a fact.');
    } catch (e) {
      setErr(e);
    } finally {
      setBusy('');
    }
  };

  const decide = async (ids: string[], status: 'APPROVED' | 'REJECTED') => {
    if (!ids.length) return;
    const pid = productID;
    setBusy(status);
    setNotice('');
    setErr(undefined);
    try {
      const d = await gql<Record<string, { facts: Fact[]; userErrors: UserError[] }>>(DECIDE[status], { id: pid, ids });
      if (current.current !== pid) return;
      const p = Object.values(d)[0];
      if (p.userErrors.length) {
        setErr(new Error(p.userErrors.map((u) => u.message).join('; ')));
        return;
      }
      merge(p.facts);
      setPicked((old) => new Set([...old].filter((id) => !ids.includes(id))));
      setNotice(`${status === 'APPROVED' ? 'Approved' : 'Rejected'} ${p.facts.length} fact${p.facts.length === 1 ? '' : 's'}.`);
    } catch (e) {
      setErr(e);
    } finally {
      setBusy('');
    }
  };

  const pickFile = (e: Event) => {
    const input = e.target as HTMLInputElement;
    const f = input.files?.[0];
    setExtractErr('');
    setUpload(null);
    if (!f) return;
    // The server checks the bytes; these two checks only spare a doomed upload.
    if (!UPLOAD_TYPES.includes(f.type)) {
      setExtractErr(`${f.name}: a JPEG, PNG or WebP image, please`);
      input.value = '';
      return;
    }
    if (f.size > MAX_UPLOAD) {
      setExtractErr(`${f.name}: ${(f.size / (1 << 20)).toFixed(1)} MB; at most 5 MB`);
      input.value = '';
      return;
    }
    const r = new FileReader();
    r.onload = () => setUpload({ name: f.name, dataURL: String(r.result) });
    r.onerror = () => setExtractErr(`${f.name}: the browser could not read it`);
    r.readAsDataURL(f);
  };

  const shown = facts.filter((f) => !filter || f.status === filter);
  const pending = shown.filter((f) => f.status === 'PENDING');
  const allPicked = pending.length > 0 && pending.every((f) => picked.has(f.id));
  const count = (s: string) => facts.filter((f) => !s || f.status === s).length;
  const togglePick = (id: string, on: boolean) =>
    setPicked((old) => {
      const n = new Set(old);
      if (on) n.add(id);
      else n.delete(id);
      return n;
    });

  return (
    <section class="image-facts">
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
          <input type="text" name="product" value={productID} onChange={(e) => setProductID((e.target as HTMLInputElement).value.trim())} aria-label="Product ID" />
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
      <ErrorBanner error={err} onDismiss={() => setErr(undefined)} />
      {product === undefined ? (
        productID ? <Loading what="the product's image facts" /> : null
      ) : product === null ? (
        !err && <Empty>{productID ? `No product with ID ${productID}.` : 'The catalogue has no product yet.'}</Empty>
      ) : (
        <div class="columns" data-product={product.id}>
          <aside class="card image-box">
            <h2>
              {product.title} <small>{product.id}</small>
            </h2>
            <p class="lead">{product.category}</p>
            {upload ? (
              <figure>
                <img src={upload.dataURL} alt={`Uploaded: ${upload.name}`} id="upload-preview" />
                <figcaption>{upload.name} (from this computer)</figcaption>
              </figure>
            ) : product.imageURL && onThisSite(product.imageURL) ? (
              <figure>
                <img src={product.imageURL} alt={product.title} />
              </figure>
            ) : product.imageURL && webURL(product.imageURL) ? (
              <p class="offsite">
                The image is on another site, which the console does not contact:{' '}
                <a href={webURL(product.imageURL)!} target="_blank" rel="noopener noreferrer" id="image-link">
                  open it in a new tab
                </a>
                .
              </p>
            ) : product.imageURL ? (
              <p class="offsite">
                The imageURL is not a web address: <code>{product.imageURL}</code>
              </p>
            ) : (
              <p class="offsite">This product has no imageURL; upload an image to read.</p>
            )}
            <div class="extract">
              {upload ? (
                <>
                  <button type="button" class="primary" id="extract-upload" disabled={!!busy} onClick={() => extract(upload.dataURL.slice(upload.dataURL.indexOf(',') + 1))}>
                    {busy === 'extract' ? 'Reading…' : 'Read this image'}
                  </button>
                  <button type="button" class="link" onClick={() => setUpload(null)}>
                    Back to the product's image
                  </button>
                </>
              ) : (
                <button type="button" class="primary" id="extract" disabled={!!busy || !product.imageURL} onClick={() => extract()}>
                  {busy === 'extract' ? 'Reading…' : "Read the product's image"}
                </button>
              )}
              <label class="upload">
                or upload one (JPEG, PNG, WebP; at most 5 MB)
                <input type="file" accept={UPLOAD_TYPES.join(',')} name="image" onChange={pickFile} />
              </label>
              {extractErr && (
                <div class="banner error" role="alert" id="extract-error">
                  {extractErr}
                </div>
              )}
            </div>
            {product.attributes.length > 0 && (
              <>
                <h3>In the catalogue</h3>
                <dl class="facts">
                  {product.attributes.map((a) => (
                    <>
                      <dt>{a.name}</dt>
                      <dd>{a.value}</dd>
                    </>
                  ))}
                </dl>
              </>
            )}
          </aside>
          <div class="detail">
            {notice && <Notice kind="ok">{notice}</Notice>}
            <div class="toolbar">
              {STATUSES.map((s) => (
                <button type="button" class={`chip ${filter === s ? 'on' : ''}`} data-status={s || 'ALL'} onClick={() => setFilter(s)}>
                  {s ? s.toLowerCase() : 'all'} <small>{count(s)}</small>
                </button>
              ))}
            </div>
            {shown.length === 0 ? (
              <Empty>{facts.length ? 'No fact with this status.' : 'No image facts yet: read the image to propose some.'}</Empty>
            ) : (
              <>
                <div class="toolbar bulk">
                  <label class="tick">
                    <input
                      type="checkbox"
                      id="pick-all"
                      checked={allPicked}
                      disabled={pending.length === 0}
                      onChange={(e) => setPicked((e.target as HTMLInputElement).checked ? new Set(pending.map((f) => f.id)) : new Set())}
                    />
                    All pending ({pending.length})
                  </label>
                  <button type="button" class="approve" id="bulk-approve-facts" disabled={!picked.size || !!busy} onClick={() => decide([...picked], 'APPROVED')}>
                    Approve selected ({picked.size})
                  </button>
                  <button type="button" class="reject" id="bulk-reject-facts" disabled={!picked.size || !!busy} onClick={() => decide([...picked], 'REJECTED')}>
                    Reject selected
                  </button>
                </div>
                <table class="perf" id="facts-table">
                  <thead>
                    <tr>
                      <th />
                      <th>Fact</th>
                      <th>Value</th>
                      <th class="num">Confidence</th>
                      <th>Status</th>
                      <th>Seen</th>
                      <th />
                    </tr>
                  </thead>
                  <tbody>
                    {shown.map((f) => (
                      <tr data-id={f.id} data-status={f.status} class={f.warning ? 'flagged' : ''}>
                        <td>
                          {f.status === 'PENDING' && (
                            <input type="checkbox" aria-label={`Select ${f.name} ${f.value}`} checked={picked.has(f.id)} onChange={(e) => togglePick(f.id, (e.target as HTMLInputElement).checked)} />
                          )}
                        </td>
                        <td>{f.name}</td>
                        <td>
                          <strong>{f.value}</strong>
                          {f.warning && (
                            <div class="warning" role="note">
                              ⚠ {f.warning}
                            </div>
                          )}
                        </td>
                        <td class="num">{f.confidence != null ? pct(f.confidence, 0) : '—'}</td>
                        <td>
                          <Badge tone={tone[f.status]}>{f.status.toLowerCase()}</Badge>
                        </td>
                        <td>
                          <small>{when(f.createdAt)}</small>
                        </td>
                        <td class="row-actions">
                          {f.status !== 'APPROVED' && (
                            <button type="button" class="approve" disabled={!!busy} onClick={() => decide([f.id], 'APPROVED')}>
                              Approve
                            </button>
                          )}
                          {f.status !== 'REJECTED' && (
                            <button type="button" class="reject" disabled={!!busy} onClick={() => decide([f.id], 'REJECTED')}>
                              Reject
                            </button>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </>
            )}
          </div>
        </div>
      )}
    </section>
  );
}
