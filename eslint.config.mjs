// @ts-check
/**
 * ESLint for the TypeScript sources (src, test, bench, scripts), type-aware through the
 * project's tsconfig. The rules are the ones whose breach has bitten this kind of code: a
 * promise nobody awaits or catches (a lost error, an unhandled rejection that ends the process),
 * a promise where a callback's result is ignored (an Express handler, an event listener), and a
 * switch over a union that misses a member (a new outcome or state silently falling through),
 * and src/ reading process.env outside src/config.
 * typescript-eslint: https://typescript-eslint.io/rules/
 *
 * The console's browser modules (src/console/public, plain JavaScript served as it is) get
 * ESLint's recommended rules with the browser's globals; their types are checked by tsc
 * (tsconfig.console.json), not here. @eslint/js: https://eslint.org/docs/latest/rules/
 */
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/peers/**', 'test-output/**', '.run/**', 'coverage/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
  {
    // Settings come from AppConfig, validated once at boot (docs/decisions/0016).
    files: ['src/**/*.ts'],
    ignores: ['src/config/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'only src/config reads the environment: take the setting from AppConfig' },
      ],
    },
  },
  {
    files: ['src/console/public/**/*.js'],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: globals.browser },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: js.configs.recommended.rules,
  },
);
