import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['lib/**', 'node_modules/**', '.cache/**', 'coverage/**'] },
  eslint.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [...tseslint.configs.strictTypeChecked, ...tseslint.configs.stylisticTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'describe', property: 'only' },
        { object: 'it', property: 'only' },
      ],
    },
  },
  {
    // The core is pure: what it may import is zod, node:crypto and node:net's pure helpers, and
    // itself. Adapters (store, push, http, wiring, triggers, jobs, CLI, config) depend on it,
    // never the other way round.
    files: ['functions/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!\\.|zod$|node:crypto$|node:net$)',
              message: 'functions/core imports only zod, node:crypto, node:net and core.',
            },
            {
              regex:
                '^(\\.\\./)+(store|push|http|wiring|triggers|scheduled|tasks|cli|config|index|functionModules)(/|$)',
              message: 'functions/core may not import an adapter; declare a port in core/ports.ts.',
            },
          ],
        },
      ],
    },
  },
  {
    // Routes and senders reach the stores through the ports wiring/ hands them, never a store
    // module. onApiRequest.ts is the function's entry: it asks wiring/ for the context.
    files: ['functions/http/**/*.ts', 'functions/push/**/*.ts'],
    ignores: ['functions/http/onApiRequest.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+(store|wiring)(/|$)',
              message:
                'Use the ports (core/ports.ts) the composition root (functions/wiring) hands in.',
            },
          ],
        },
      ],
    },
  },
  {
    // The CLI reads and writes through the stores: no Firestore path or client call of its own.
    files: ['functions/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '../store/firestore',
              importNames: ['paths'],
              message: 'The CLI goes through the store modules, not Firestore paths.',
            },
          ],
          patterns: [
            {
              group: ['firebase-admin', 'firebase-admin/*'],
              message:
                'The CLI goes through the store modules (functions/store), not firebase-admin.',
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ImportExpression[source.value=/^firebase-admin/]',
          message: 'The CLI goes through the store modules (functions/store), not firebase-admin.',
        },
      ],
    },
  },
  {
    // The console renders what came from outside (caller names, device ids) as text only:
    // no HTML parsing sink may be used (console/src/dom.ts makes every element).
    files: ['console/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { property: 'innerHTML', message: 'Render text with console/src/dom.ts.' },
        { property: 'outerHTML', message: 'Render text with console/src/dom.ts.' },
        { property: 'insertAdjacentHTML', message: 'Render text with console/src/dom.ts.' },
        { property: 'srcdoc', message: 'No HTML from strings.' },
        { object: 'document', property: 'write', message: 'No HTML from strings.' },
        { object: 'document', property: 'writeln', message: 'No HTML from strings.' },
        { property: 'createContextualFragment', message: 'No HTML from strings.' },
        { property: 'parseFromString', message: 'No HTML from strings.' },
      ],
      'no-restricted-globals': ['error', { name: 'eval', message: 'No code from strings.' }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-expressions': 'off',
    },
  },
  {
    // The browser softphone example: a page's module and its service worker.
    files: ['docs/examples/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'navigator',
          'localStorage',
          'location',
          'fetch',
          'crypto',
          'atob',
          'btoa',
          'URL',
          'URLSearchParams',
          'FormData',
          'Notification',
          'self',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: {
      globals: {
        fetch: 'readonly',
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
  },
);
