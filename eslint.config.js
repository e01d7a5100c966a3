// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'generated/**', 'models/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // Tool configuration that must be CommonJS (dependency-cruiser's).
  {
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { module: 'writable', require: 'readonly' },
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // The layering rule of docs/architecture.md: engine, model and cache never reach up
      // (below). Import cycles are checked by dependency-cruiser (.dependency-cruiser.cjs).
      'no-restricted-imports': 'off',
    },
  },
  {
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['fastify', '@fastify/*', '**/http/**', '**/app.js', '**/service.js'],
              message: 'engine/ never imports the HTTP layer or the composition root',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/model/**/*.ts', 'src/cache/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'fastify',
                '@fastify/*',
                '**/http/**',
                '**/engine/**',
                '**/app.js',
                '**/service.js',
              ],
              message: 'model/ and cache/ never import engine/, http/ or the composition root',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/errors.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['./*', '../*'], message: 'errors.ts imports nothing from src/' }] },
      ],
    },
  },
);
