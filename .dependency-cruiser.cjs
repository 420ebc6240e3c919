// The layers of docs/architecture.md, checked on every import (`npm run lint:deps`). Paths are resolved
// through the tsconfig `@wiz/*` paths, so `@wiz/llm` counts as libs/llm.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-app-to-app',
      comment: 'An app never imports another app: what two apps share lives in a lib.',
      severity: 'error',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/([^/]+)/', pathNot: '^apps/$1/' },
    },
    {
      name: 'no-lib-to-app',
      comment: 'Libs never import apps.',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'gateway-not-to-model-layer',
      comment:
        "The gateway (apps/gateway, libs/gateway) never loads the agent loop, its tools, the model layer or the MCP client pool (which opens tenants' secrets), not even through another lib.",
      severity: 'error',
      from: { path: '^(apps|libs)/gateway/' },
      to: { path: '^libs/(agent|llm|runtime|mcp)/', reachable: true },
    },
    {
      name: 'persistence-only-contracts-and-config',
      comment: 'The store stands on contracts and config only.',
      severity: 'error',
      from: { path: '^libs/persistence/' },
      to: { path: '^(apps|libs)/', pathNot: '^libs/(persistence|contracts|config)/' },
    },
    {
      name: 'contracts-import-nothing-of-ours',
      comment: 'Contracts are the bottom layer: zod schemas and names, nothing of ours.',
      severity: 'error',
      from: { path: '^libs/contracts/' },
      to: { path: '^(apps|libs)/', pathNot: '^libs/contracts/' },
    },
    {
      name: 'no-circular-between-libs',
      comment: 'Libs form a hierarchy: no lib reaches back to a lib that imports it.',
      severity: 'error',
      from: { path: '^libs/([^/]+)/' },
      to: { circular: true, viaSomeNot: '^libs/$1/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
