import { mount } from 'svelte';
import { z } from 'zod';
import App from './App.svelte';
import './app.css';

// The page forbids eval (CSP); without this zod would try it once and log a violation.
z.config({ jitless: true });

mount(App, { target: document.getElementById('app') as HTMLElement });
