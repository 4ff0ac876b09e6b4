// Lint gate for the Node code (backend, migrations, e2e, bench, scripts): ESLint's recommended rules
// and typescript-eslint's type-checked ones (recommendedTypeChecked). The frontend lints itself
// (frontend/eslint.config.mjs). Run by `npm test` (suite `lint`) and `npm run lint`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The rules that flag every use of an `any` value. */
const unsafeAny = {
  '@typescript-eslint/no-unsafe-assignment': 'off',
  '@typescript-eslint/no-unsafe-member-access': 'off',
  '@typescript-eslint/no-unsafe-call': 'off',
  '@typescript-eslint/no-unsafe-argument': 'off',
  '@typescript-eslint/no-unsafe-return': 'off',
};

export default tseslint.config(
  { ignores: ['frontend/**', '**/node_modules/**', '**/dist/**', '**/var/**'] },
  {
    files: ['backend/**/*.ts', 'migrations/**/*.ts', 'e2e/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.mjs'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        project: ['backend/tsconfig.test.json', 'e2e/tsconfig.json', 'bench/tsconfig.json', 'scripts/tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // node:test's describe/it return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }],
      }],
      // A leading underscore marks a value left out on purpose (`{ _chunk, ...rest }`, Express's `_next`).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // Route handlers, fakes and stubs implement async interfaces: `async () => value` is how they return a promise.
      '@typescript-eslint/require-await': 'off',
      // knex types query results as `any` (raw(), returning(), first()); typing every store's rows is
      // its own change, so these wait for it rather than being silenced one line at a time.
      ...unsafeAny,
    },
  },
  {
    files: ['backend/test/**/*.ts', 'e2e/tests/**/*.ts'],
    rules: {
      // Tests read JSON bodies and rows as `any` and their assertions check the shape.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['backend/src/**/*.ts'],
    rules: {
      // Logs go through pino; what a command tells a person goes through backend/src/cli/output.ts.
      'no-console': 'error',
    },
  },
  {
    files: ['migrations/**/*.ts'],
    rules: {
      // Merged migrations are frozen (never edited), so a redundant cast in one stays.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
    },
  },
);
