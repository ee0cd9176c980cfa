import { installPromiseWithResolvers } from '../../local/polyfills';

type WithResolvers = { withResolvers?: unknown };
const promiseCtor = Promise as unknown as WithResolvers;

describe('the Promise.withResolvers polyfill (Node 20 lacks it; Node 22 and aws-local-stepfunctions 3 have/need it)', () => {
  const original = promiseCtor.withResolvers;
  afterEach(() => {
    promiseCtor.withResolvers = original;
  });

  test('leaves a native Promise.withResolvers alone, as on Node 22', () => {
    const native = () => 'native';
    promiseCtor.withResolvers = native;

    installPromiseWithResolvers();

    expect(promiseCtor.withResolvers).toBe(native);
  });

  test('installs one that resolves and rejects where there is none, as on Node 20', async () => {
    delete promiseCtor.withResolvers;

    installPromiseWithResolvers();

    const make = promiseCtor.withResolvers as <T>() => { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void };
    const resolved = make<number>();
    resolved.resolve(42);
    await expect(resolved.promise).resolves.toBe(42);
    const rejected = make<number>();
    rejected.reject(new Error('stopped'));
    await expect(rejected.promise).rejects.toThrow('stopped');
  });
});
