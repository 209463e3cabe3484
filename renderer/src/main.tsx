// First: configures zod before the protocol schemas are built (see zod-setup.ts).
import './zod-setup.ts';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { resolveOwnerToken, takeOwnerToken } from './auth.ts';
import { useOwnerStore } from './store.ts';
import './styles.css';

const initialToken = takeOwnerToken();
useOwnerStore.getState().setToken(initialToken);
// The desktop app hands the token over through its preload bridge instead of the URL.
if (initialToken === null && window.cohort !== undefined) {
  void resolveOwnerToken().then((token) => {
    if (token !== null) useOwnerStore.getState().setToken(token);
  });
}

const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
