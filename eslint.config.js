// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'generated/**', 'models/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // The layering rule of docs/architecture.md: engine, model and cache never reach up.
      'no-restricted-imports': 'off',
    },
  },
  {
    files: [
      'src/engine/**/*.ts',
      'src/model/**/*.ts',
      'src/cache/**/*.ts',
      'src/monitoring/**/*.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['fastify', '@fastify/*', '**/http/*', '**/app.js'],
              message: 'engine/model/cache never import the HTTP layer',
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
              group: ['fastify', '@fastify/*', '**/http/*', '**/engine/*', '**/app.js'],
              message: 'model/ and cache/ never import engine/ or http/',
            },
          ],
        },
      ],
    },
  },
);
