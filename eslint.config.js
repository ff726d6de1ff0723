import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';

// The layers of DESIGN.md: each folder may import only what its row allows.
const layer = (files, patterns) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns }] },
});
const electronOnly = { group: ['electron', 'electron/*'], message: 'Only electron/main and electron/preload may import electron.' };
const noRenderer = { group: ['**/renderer/**'], message: 'Only the contract connects to the renderer.' };
const noShell = { group: ['**/main/**', '**/preload/**', '**/cli/**', '**/serve/**'], message: 'The engine never reaches up into a front end.' };
const noCore = { group: ['**/core/**'], message: 'The renderer talks to the engine only through the contract.' };
const noDesktopShell = { group: ['**/main/**', '**/preload/**'], message: 'Only the desktop shell uses its own modules; shared policy lives in core.' };

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test-output/', 'bench/models/', 'renderer/dist/', 'models/train/**/*.py'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['renderer/**/*.svelte', 'renderer/**/*.svelte.ts'],
    languageOptions: { globals: { ...globals.browser }, parserOptions: { parser: tseslint.parser } },
  },
  { files: ['renderer/**/*.ts'], languageOptions: { globals: { ...globals.browser } } },
  layer(['electron/core/**'], [electronOnly, noRenderer, noShell]),
  layer(['electron/contract/**'], [electronOnly, noRenderer, noShell, noCore]),
  layer(['electron/cli/**', 'electron/serve/**'], [electronOnly, noRenderer, noDesktopShell]),
  // The engine's utility process is Electron code, but reaches only core and the contract.
  layer(['electron/engine-process/**'], [noRenderer, noDesktopShell]),
  // The preload is Electron code too, and never reaches the renderer.
  layer(['electron/preload/**'], [noRenderer]),
  layer(['renderer/**'], [electronOnly, noCore, noShell]),
);
