/**
 * The layering of the TypeScript (docs/ARCHITECTURE.md, "Code layout"), checked by `npm run lint`:
 *
 *   bin/, local/            entry points: may import lib/, core/ and the Lambdas' wiring entries
 *   lib/                    the CDK app: may import core/ and the wiring entries
 *   lambdas/<name>/         one function: its own folder, lambdas/shared/ and core/ only
 *   lambdas/shared/         the Lambda runtime (Powertools, AWS ports): core/ only
 *   core/                   the contracts every part shares: nothing of the above; SDK clients only in core/aws/
 *
 * Tests may import anything they test.
 */
const ENTRY = '^lambdas/([^/]+/wiring|registry)\\.ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Files that import each other in a loop cannot be understood, tested or moved one at a time.',
      from: { path: '^(core|lambdas|lib|bin|local|bench)/' },
      to: { circular: true },
    },
    {
      name: 'core-stands-alone',
      severity: 'error',
      comment: 'core/ is what every part shares; it must not depend on any of them.',
      from: { path: '^core/' },
      to: { path: '^(lambdas|lib|bin|local|bench|test)/' },
    },
    {
      name: 'core-contracts-without-sdk-clients',
      severity: 'error',
      comment: 'The contracts are pure: the AWS adapters of the ports live in core/aws/, SDK clients nowhere else in core/.',
      from: { path: '^core/', pathNot: '^core/aws/' },
      to: { dependencyTypes: ['npm'], path: '@aws-sdk/' },
    },
    {
      name: 'no-imports-between-lambda-folders',
      severity: 'error',
      comment: 'A Lambda folder imports its own files, lambdas/shared/ and core/; what two functions share belongs in core/.',
      from: { path: '^lambdas/([^/]+)/' },
      to: { path: '^lambdas/', pathNot: ['^lambdas/$1/', '^lambdas/shared/'] },
    },
    {
      name: 'lambda-runtime-below-the-functions',
      severity: 'error',
      comment: 'lambdas/shared/ runs any function; it must not know one.',
      from: { path: '^lambdas/shared/' },
      to: { path: '^lambdas/', pathNot: '^lambdas/shared/' },
    },
    {
      name: 'lambdas-below-the-app',
      severity: 'error',
      comment: 'Functions are deployed by lib/ and run by local/; they import neither, nor bin/.',
      from: { path: '^lambdas/' },
      to: { path: '^(lib|bin|local|bench)/' },
    },
    {
      name: 'lambdas-entered-through-their-wiring',
      severity: 'error',
      comment: 'lib/, bin/ and local/ reach a function only through its wiring entry (or the registry of them).',
      from: { path: '^(lib|bin|local|bench)/' },
      to: { path: '^lambdas/', pathNot: ENTRY },
    },
    {
      name: 'lib-below-the-entry-points',
      severity: 'error',
      comment: 'The CDK app does not depend on the CLI or the local runtime.',
      from: { path: '^lib/' },
      to: { path: '^(bin|local|bench)/' },
    },
    {
      name: 'local-runtime-does-not-import-the-cli',
      severity: 'error',
      comment: 'What bin/ and local/ both draw or read lives in core/.',
      from: { path: '^local/' },
      to: { path: '^bin/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|cdk\\.out|\\.venv|\\.local|coverage)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
