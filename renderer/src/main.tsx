// First: configures zod before the protocol schemas are built (see zod-setup.ts).
import './zod-setup.ts';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { takeOwnerToken } from './auth.ts';
import { useOwnerStore } from './store.ts';
import './styles.css';

useOwnerStore.getState().setToken(takeOwnerToken());

const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
