/**
 * `Promise.withResolvers` arrived in Node 22; aws-local-stepfunctions 3 needs it and we support Node 20.
 * Installed by every entry point that runs the interpreter (the local runtime and the jest setup).
 */
export function installPromiseWithResolvers(): void {
  const ctor = Promise as unknown as { withResolvers?: unknown };
  if (typeof ctor.withResolvers === 'function') return;
  ctor.withResolvers = function withResolvers<T>() {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
