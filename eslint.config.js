import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Frameworks stay at the edges (DESIGN.md §3): the core imports no hono, drizzle, sqlite or Extism.
const edgeOnly = [
  { group: ['hono', 'hono/*', '@hono/*'], message: 'Only src/http and src/dashboard import hono.' },
  { group: ['drizzle-orm', 'drizzle-orm/*', 'better-sqlite3'], message: 'Only src/store imports the database.' },
  { group: ['@extism/*'], message: 'Only src/guard-runtime imports Extism.' },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.scratch/**', 'guards/sdk/**', 'guards/examples/**', 'src/store/migrations/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly', setTimeout: 'readonly' } },
  },
  {
    files: ['src/pipeline/**', 'src/scanner/**', 'src/identity/**', 'src/flow/**', 'src/config/**', 'src/mcp/**', 'src/upstream/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: edgeOnly }] },
  },
);
