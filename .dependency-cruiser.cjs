/**
 * Import-cycle check (`npm run lint`). ESLint's import plugins skip type-only imports when
 * they look for cycles; dependency-cruiser follows them too (tsPreCompilationDeps), and a
 * cycle through a type is still a cycle in the design (docs/architecture.md).
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An interface belongs to the module that uses it; data types travel downward.',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(node_modules|dist|generated|models)/' },
  },
};
