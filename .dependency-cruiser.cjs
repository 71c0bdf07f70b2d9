// Import boundaries of src/ (docs: CONVENTIONS "Layout: one folder per role"), checked by
// `npm run deps` in `npm run check`. Roles are server, state-manager, admin, client and topology;
// shared/ and protocol/ serve them all and import no role.
const ROLES = '(server|state-manager|admin|client|topology)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A cycle (type-only imports included) means two files are one concept, or a type lives in the wrong one.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'role-to-other-role',
      severity: 'error',
      comment:
        "A role never reaches into another role's files; topology is reached through its index (next rule). The admin's page code is checked by page-code-imports instead.",
      from: { path: `^src/${ROLES}/`, pathNot: '^src/admin/ui/' },
      to: { path: `^src/${ROLES}/`, pathNot: ['^src/$1/', '^src/topology/'] },
    },
    {
      name: 'topology-through-index',
      severity: 'error',
      comment: 'Outside src/topology/, topology is imported through src/topology/index.ts only.',
      from: { path: '^src/', pathNot: '^src/topology/' },
      to: { path: '^src/topology/', pathNot: '^src/topology/index\\.ts$' },
    },
    {
      name: 'shared-imports-no-role',
      severity: 'error',
      comment: 'shared/ and protocol/ are used by every role and import none (nor the CLI).',
      from: { path: '^src/(shared|protocol)/' },
      to: { path: [`^src/${ROLES}/`, '^src/cli\\.ts$'] },
    },
    {
      name: 'protocol-is-self-contained',
      severity: 'error',
      comment:
        'protocol/ is zod schemas and code tables with no I/O: it imports only itself (and zod).',
      from: { path: '^src/protocol/' },
      to: { path: '^src/', pathNot: '^src/protocol/' },
    },
    {
      name: 'client-sdk-imports',
      severity: 'error',
      comment:
        'The client SDK runs in browsers: besides its own files only the protocol schemas and the Node-free shared backoff.',
      from: { path: '^src/client/' },
      to: {
        path: '^src/',
        pathNot: ['^src/client/', '^src/protocol/', '^src/shared/backoff\\.ts$'],
      },
    },
    {
      name: 'page-code-imports',
      severity: 'error',
      comment:
        "The admin's page code (src/admin/ui/, bundled for the browser) may use the client SDK through its index, the protocol schemas and the try-it session schema; nothing with Node I/O.",
      from: { path: '^src/admin/ui/' },
      to: {
        path: '^src/',
        pathNot: [
          '^src/admin/ui/',
          '^src/client/index\\.ts$',
          '^src/protocol/',
          '^src/admin/try-it/session\\.ts$',
        ],
      },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: they shape the code as much as value imports do.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
