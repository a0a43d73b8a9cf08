// Experiments and merchandising rules: shown only when the server has them
// (main.tsx probes for the root fields). Placeholders until those APIs land.
export function Experiments() {
  return <p class="empty">Experiments</p>;
}
export function Rules() {
  return <p class="empty">Rules</p>;
}
