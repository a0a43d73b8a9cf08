// Campaigns: start one, follow its progress, read a sample of its messages,
// and export them all as CSV or JSON. The export pages through the API and
// is assembled in the page; the file never passes through a server.
import { useEffect, useState } from 'preact/hooks';
import { gql, type UserError } from './api';
import { Badge, Empty, ErrorBanner, Loading, Notice, csv, download, firstScreenShown, int, pct, when } from './ui';

interface Campaign {
  id: string;
  name: string;
  channel: string;
  status: 'QUEUED' | 'RUNNING' | 'COMPLETED' | 'FAILED';
  total: number;
  done: number;
  messages: number;
  skipped: number;
  progress: number;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

interface Message {
  userID: string;
  channel: string;
  language: string;
  createdAt: string;
  items: {
    score: number;
    product: { id: string; title: string } | null;
    reasons: { kind: string; message: string }[];
    copy: { id: string; headline: string; text: string };
  }[];
}

interface MessagePage {
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { node: Message }[];
}

const campaignFields = `id name channel status total done messages skipped progress error createdAt startedAt finishedAt`;
const messageFields = `userID channel language createdAt items { score product { id title } reasons { kind message } copy { id headline text } }`;
const GET = `query ConsoleCampaign($id: ID!) { campaign(id: $id) { ${campaignFields} messageList(first: 5) { edges { node { ${messageFields} } } } } }`;
const PAGE = `query ConsoleCampaignPage($id: ID!, $after: String) {
  campaign(id: $id) { messageList(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { ${messageFields} } } } }
}`;
const CREATE = `mutation ConsoleCreateCampaign($input: CampaignInput!) {
  createCampaign(input: $input) { campaign { ${campaignFields} } userErrors { field message code } }
}`;

// The API has no campaign list; the console remembers the IDs it started or
// opened in this tab (IDs only, in sessionStorage like the key).
const RECENT = 'shopmuse.console.campaigns';
const recent = (): string[] => {
  try {
    const v = JSON.parse(sessionStorage.getItem(RECENT) ?? '[]');
    return Array.isArray(v) ? v.filter((x) => typeof x === 'string').slice(0, 20) : [];
  } catch {
    return [];
  }
};
const remember = (id: string) => sessionStorage.setItem(RECENT, JSON.stringify([id, ...recent().filter((x) => x !== id)].slice(0, 20)));

const tone = { QUEUED: 'grey', RUNNING: 'blue', COMPLETED: 'green', FAILED: 'red' } as const;

export function Campaigns() {
  const [ids, setIDs] = useState<string[]>(recent());
  const [open, setOpen] = useState<string>(recent()[0] ?? '');
  const [err, setErr] = useState<unknown>();
  useEffect(() => {
    if (!open) firstScreenShown();
  }, []);
  const choose = (id: string) => {
    remember(id);
    setIDs(recent());
    setOpen(id);
  };
  return (
    <section class="campaigns">
      <div class="columns">
        <aside>
          <NewCampaign onCreated={choose} />
          <form
            class="card"
            onSubmit={(e) => {
              e.preventDefault();
              const v = (new FormData(e.target as HTMLFormElement).get('id') as string).trim();
              if (v) choose(v);
            }}
          >
            <h3>Open a campaign</h3>
            <input name="id" type="text" placeholder="campaign ID" aria-label="Campaign ID" />
            <button type="submit">Open</button>
          </form>
          {ids.length > 0 && (
            <div class="card">
              <h3>This session</h3>
              <ul class="recent">
                {ids.map((id) => (
                  <li>
                    <button type="button" class={`link ${id === open ? 'on' : ''}`} onClick={() => setOpen(id)}>
                      {id}
                    </button>
                  </li>
                ))}
              </ul>
            </div>
          )}
        </aside>
        <div class="detail">
          <ErrorBanner error={err} />
          {open ? <CampaignDetail key={open} id={open} onError={setErr} /> : <Empty>Start a campaign, or open one by its ID.</Empty>}
        </div>
      </div>
    </section>
  );
}

function NewCampaign({ onCreated }: { onCreated: (id: string) => void }) {
  const [err, setErr] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    const str = (k: string) => ((f.get(k) as string | null) ?? '').trim();
    const num = (k: string) => (str(k) === '' ? undefined : Number(str(k)));
    const interests = str('interests')
      .split(/[,，]/)
      .map((s) => s.trim())
      .filter(Boolean);
    const segment: Record<string, unknown> = {};
    if (interests.length) segment.interests = interests;
    if (num('minAge') !== undefined) segment.minAge = num('minAge');
    if (num('maxAge') !== undefined) segment.maxAge = num('maxAge');
    const input: Record<string, unknown> = { channel: str('channel'), productsPerUser: num('per') ?? 3, segment };
    if (str('name')) input.name = str('name');
    setBusy(true);
    setErr(undefined);
    try {
      const d = await gql<{ createCampaign: { campaign: Campaign | null; userErrors: UserError[] } }>(CREATE, { input });
      const p = d.createCampaign;
      if (p.userErrors.length) setErr(new Error(p.userErrors.map((u) => `${(u.field ?? []).join('.')}: ${u.message}`).join('; ')));
      else if (p.campaign) onCreated(p.campaign.id);
    } catch (e) {
      setErr(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card new-campaign" onSubmit={submit}>
      <h3>New campaign</h3>
      <label>
        Name <input name="name" type="text" maxLength={200} placeholder="Spring push" />
      </label>
      <label>
        Channel
        <select name="channel">
          <option value="PUSH">PUSH</option>
          <option value="EMAIL">EMAIL</option>
        </select>
      </label>
      <label>
        Interests <input name="interests" type="text" placeholder="photography, outdoor (empty: everyone)" />
      </label>
      <div class="pair">
        <label>
          Min age <input name="minAge" type="number" min="0" max="130" />
        </label>
        <label>
          Max age <input name="maxAge" type="number" min="0" max="130" />
        </label>
        <label>
          Products <input name="per" type="number" min="1" max="10" value="3" />
        </label>
      </div>
      <ErrorBanner error={err} />
      <button type="submit" class="primary" disabled={busy}>
        {busy ? 'Starting…' : 'Start campaign'}
      </button>
    </form>
  );
}

function CampaignDetail({ id, onError }: { id: string; onError: (e: unknown) => void }) {
  const [c, setC] = useState<(Campaign & { messageList: { edges: { node: Message }[] } }) | null | undefined>(undefined);
  const [exporting, setExporting] = useState('');
  useEffect(() => {
    let stop = false;
    let timer = 0;
    const tick = async () => {
      try {
        const d = await gql<{ campaign: (Campaign & { messageList: { edges: { node: Message }[] } }) | null }>(GET, { id });
        if (stop) return;
        setC(d.campaign);
        onError(undefined);
        // Follow a running campaign by polling once a second; it stops by itself.
        if (d.campaign && (d.campaign.status === 'QUEUED' || d.campaign.status === 'RUNNING')) timer = window.setTimeout(tick, 1000);
      } catch (e) {
        if (!stop) onError(e);
      }
    };
    tick();
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, [id]);
  useEffect(() => {
    if (c !== undefined) firstScreenShown();
  }, [c]);

  const exportAs = async (kind: 'csv' | 'json') => {
    setExporting(kind);
    try {
      const all: Message[] = [];
      let after: string | null = null;
      for (let page = 0; page < 10_000; page++) {
        const d: { campaign: { messageList: MessagePage } | null } = await gql(PAGE, { id, after });
        if (!d.campaign) break;
        all.push(...d.campaign.messageList.edges.map((e) => e.node));
        if (!d.campaign.messageList.pageInfo.hasNextPage) break;
        after = d.campaign.messageList.pageInfo.endCursor;
      }
      const base = `campaign-${id.replace(/[^\w.-]/g, '_')}`;
      if (kind === 'json') {
        download(`${base}.json`, 'application/json', JSON.stringify({ campaign: id, messages: all }, null, 2));
      } else {
        const rows: unknown[][] = [['userID', 'channel', 'language', 'rank', 'productID', 'productTitle', 'score', 'variantID', 'headline', 'text', 'reasons', 'createdAt']];
        for (const m of all) {
          m.items.forEach((it, i) =>
            rows.push([
              m.userID,
              m.channel,
              m.language,
              i + 1,
              it.product?.id ?? '',
              it.product?.title ?? '',
              it.score.toFixed(4),
              it.copy.id,
              it.copy.headline,
              it.copy.text,
              it.reasons.map((r) => r.message).join(' | '),
              m.createdAt,
            ]),
          );
        }
        download(`${base}.csv`, 'text/csv;charset=utf-8', '\ufeff' + csv(rows));
      }
    } catch (e) {
      onError(e);
    } finally {
      setExporting('');
    }
  };

  if (c === undefined) return <Loading what="the campaign" />;
  if (c === null) return <Empty>No campaign has the ID {id}.</Empty>;
  return (
    <div class="campaign" data-status={c.status}>
      <h2>
        {c.name || c.id} <Badge tone={tone[c.status]}>{c.status.toLowerCase()}</Badge> <Badge>{c.channel}</Badge>
      </h2>
      <div class="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(c.progress * 100)}>
        <svg width="100%" height="12" viewBox="0 0 1000 12" preserveAspectRatio="none" aria-hidden="true">
          <rect class="track" x="0" y="0" width="1000" height="12" rx="6" />
          <rect class="fill" x="0" y="0" width={Math.round(c.progress * 1000)} height="12" rx="6" />
        </svg>
      </div>
      <dl class="stats">
        <div>
          <dt>Progress</dt>
          <dd>{pct(c.progress, 0)}</dd>
        </div>
        <div>
          <dt>Users done</dt>
          <dd>
            {int(c.done)} / {int(c.total)}
          </dd>
        </div>
        <div>
          <dt>Messages</dt>
          <dd>{int(c.messages)}</dd>
        </div>
        <div>
          <dt>Skipped</dt>
          <dd>{int(c.skipped)}</dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>{when(c.startedAt)}</dd>
        </div>
        <div>
          <dt>Finished</dt>
          <dd>{when(c.finishedAt)}</dd>
        </div>
      </dl>
      {c.error && <Notice kind="warn">{c.error}</Notice>}
      <div class="toolbar">
        <button type="button" id="export-csv" disabled={!!exporting} onClick={() => exportAs('csv')}>
          {exporting === 'csv' ? 'Exporting…' : 'Export CSV'}
        </button>
        <button type="button" id="export-json" disabled={!!exporting} onClick={() => exportAs('json')}>
          {exporting === 'json' ? 'Exporting…' : 'Export JSON'}
        </button>
      </div>
      <h3>A sample of the messages</h3>
      {c.messageList.edges.length === 0 ? (
        <Empty>No messages yet.</Empty>
      ) : (
        <ul class="messages">
          {c.messageList.edges.map(({ node: m }) => (
            <li>
              <div class="to">
                To <strong>{m.userID}</strong> · {m.language}
              </div>
              <ol>
                {m.items.map((it) => (
                  <li>
                    <span class="title">{it.product?.title ?? '(deleted product)'}</span>
                    <div class="copy">
                      {it.copy.headline && <strong>{it.copy.headline} </strong>}
                      {it.copy.text}
                    </div>
                    <div class="why">{it.reasons.map((r) => r.message).join(' · ')}</div>
                  </li>
                ))}
              </ol>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
