/**
 * Settings every vitest project of the workspace shares (spread into each project's
 * defineProject): workspace packages resolve to their TypeScript sources through the
 * `@fanout/source` export condition, in front of Vite's default server conditions. Published
 * packages (and plain `node`) resolve to dist/ instead.
 */
const conditions = ['@fanout/source', 'module', 'node', 'development|production'];

export const workspaceResolve = {
  resolve: { conditions },
  ssr: { resolve: { conditions } },
};
