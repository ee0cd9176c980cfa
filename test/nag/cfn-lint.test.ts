import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT, synthesize } from '../workflow/support/synth';

/**
 * cfn-lint (pinned in spark-jobs/requirements-dev.in, installed in .venv by scripts/python-env.sh, which
 * `npm test` runs before jest) over both synthesized templates: no errors, and only the warnings below,
 * each explained in docs/ARCHITECTURE.md ("cfn-lint").
 */
const ACCEPTED_WARNINGS: Record<string, string> = {
  W3005: 'CDK writes DependsOn on a Lambda/state machine role next to the GetAtt of that role (its own construct code)',
  W6001: 'the pipeline stack re-exports the lake bucket name as an output so the CLI reads one stack',
};

interface LintMatch {
  Level: 'Error' | 'Warning' | 'Informational';
  Rule: { Id: string };
  Filename: string;
  Location: { Path: (string | number)[] };
  Message: string;
}

let matches: LintMatch[];

beforeAll(() => {
  const cfnLint = path.join(REPO_ROOT, '.venv', 'bin', 'cfn-lint');
  if (!fs.existsSync(cfnLint)) throw new Error(`${cfnLint} is missing: run \`bash scripts/python-env.sh\` (npm test does it before jest)`);
  const synthesized = synthesize();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aqi-cfn-lint-'));
  const files = [
    ['AqiDataLake.template.json', synthesized.dataLakeJson],
    ['AqiPipeline.template.json', synthesized.pipelineJson],
  ].map(([name, template]) => {
    const file = path.join(dir, name as string);
    fs.writeFileSync(file, JSON.stringify(template));
    return file;
  });
  const run = spawnSync(cfnLint, ['--format', 'json', ...files], { encoding: 'utf8', timeout: 300_000 });
  fs.rmSync(dir, { recursive: true, force: true });
  // cfn-lint exits non-zero whenever it reports anything; a crash leaves stdout empty.
  if (run.stdout.trim() === '') throw new Error(`cfn-lint produced no report (exit ${run.status}): ${run.stderr}`);
  matches = JSON.parse(run.stdout) as LintMatch[];
}, 300_000);

const describeMatch = (m: LintMatch) => `${m.Rule.Id} ${path.basename(m.Filename)} ${m.Location.Path.join('/')}: ${m.Message}`;

test('cfn-lint reports no error in either template', () => {
  expect(matches.filter((m) => m.Level === 'Error').map(describeMatch)).toEqual([]);
});

test('every cfn-lint warning is one of the accepted, documented rules', () => {
  const warnings = matches.filter((m) => m.Level === 'Warning');
  expect(warnings.filter((m) => !(m.Rule.Id in ACCEPTED_WARNINGS)).map(describeMatch)).toEqual([]);
});

test('each accepted warning is named in docs/ARCHITECTURE.md with its reason', () => {
  const architecture = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'ARCHITECTURE.md'), 'utf8');
  for (const rule of Object.keys(ACCEPTED_WARNINGS)) expect(architecture).toMatch(new RegExp(`\\| \`${rule}\` \\|`));
});
