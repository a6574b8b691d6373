// Lint: typescript-eslint's type-aware rules where they catch real bugs (a promise nobody awaits or
// catches, a misused promise, an awaited non-promise), the recommended set otherwise.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/**', 'sdk/dist/**', 'node_modules/**', 'sdk/node_modules/**', 'coverage/**', 'test-output/**', 'data/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mts'],
    languageOptions: {
      parserOptions: { project: ['./tsconfig.check.json', './sdk/tsconfig.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      // Promise.all over values that may or may not be promises is how the engine stays synchronous when it can.
      '@typescript-eslint/await-thenable': 'off',
      // prom-client's collect() callbacks run with `this` bound to the metric: the owner is `self`.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['self'] }],
      // A variable a closure reads before start-up assigns it (signal handlers) cannot be const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    // Tests and their helpers read JSON bodies whose shape the assertions check.
    files: ['**/*.test.ts', 'testkit/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Browser code of the console: plain ES modules, no build step.
    files: ['console/public/**/*.js'],
    languageOptions: {
      globals: Object.fromEntries(
        ['window', 'document', 'fetch', 'location', 'history', 'URL', 'URLSearchParams', 'console', 'setTimeout', 'clearTimeout', 'HTMLElement',
          'Node', 'Event', 'FormData', 'sessionStorage', 'queueMicrotask', 'performance', 'requestAnimationFrame'].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    // Files outside the type-checked projects: the type-aware rules need type information.
    files: ['vitest.config.ts', 'eslint.config.js', 'console/public/**'],
    ...tseslint.configs.disableTypeChecked,
  },
)
