import { processTreeProblem } from '../../local/runtime/process-tree';

describe('where the local runtime can run EMR steps', () => {
  test('on Linux with /proc it can', () => {
    expect(processTreeProblem('linux', () => true)).toBeUndefined();
  });

  test('on macOS it refuses, saying why and where to run it instead', () => {
    expect(processTreeProblem('darwin', () => false)).toBe(
      "The local runtime runs EMR steps on Linux only: it stops Spark's process trees through /proc, and this is darwin. " +
        'Run it in a Linux container or VM (e.g. a devcontainer with Node 20+, Python 3.11 and Java 17); the CDK app, the tests of lib/ and lambdas/, and the aqi-pipeline CLI work anywhere.',
    );
  });

  test('on a Linux without /proc it refuses too', () => {
    expect(processTreeProblem('linux', () => false)).toMatch(/this Linux has no \/proc mounted/);
  });

  test('this machine, where the tests run steps, can', () => {
    expect(processTreeProblem()).toBeUndefined();
  });
});
