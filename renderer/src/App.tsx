import { MissingToken } from './components/MissingToken.tsx';
import { OwnerView } from './components/OwnerView.tsx';
import { useOwnerStore } from './store.ts';

/**
 * Chooses the view. Only the owner view exists so far: a page opened from the host's loopback owner
 * listener with its token. A worker view (served by the worker's own loopback service, with its own
 * token) will be chosen here too.
 */
export function App() {
  const token = useOwnerStore((s) => s.token);
  if (token === null) return <MissingToken />;
  return <OwnerView token={token} />;
}
