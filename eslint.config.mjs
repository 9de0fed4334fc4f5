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
