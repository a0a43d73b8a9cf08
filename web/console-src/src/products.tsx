// Finding a product by name: the copy-performance and image-facts screens
// both pick one product from a search.
import { gql } from './api';

export interface ProductHit {
  id: string;
  title: string;
  category: string;
}

const SEARCH = `query ConsoleProductSearch($q: String!) { searchProducts(query: $q, first: 8) { product { id title category } } }`;

/** The catalogue's best 8 matches for q (hybrid search, as shoppers get). */
export async function searchProducts(q: string): Promise<ProductHit[]> {
  const d = await gql<{ searchProducts: { product: ProductHit }[] }>(SEARCH, { q: q.trim() });
  return d.searchProducts.map((h) => h.product);
}

/** The hits as chips; picking one selects it and clears the list. */
export function ProductHits({ hits, selected, onPick }: { hits: ProductHit[]; selected: string; onPick: (id: string) => void }) {
  if (hits.length === 0) return null;
  return (
    <ul class="hits">
      {hits.map((h) => (
        <li>
          <button type="button" class={`chip ${h.id === selected ? 'on' : ''}`} onClick={() => onPick(h.id)}>
            {h.title} <small>{h.id}</small>
          </button>
        </li>
      ))}
    </ul>
  );
}
