// `nodejs_compat` gives the Worker AsyncLocalStorage (src/audit/record.ts); the rest of Node's
// types stay out of the Worker's code, so only the part used is declared.
declare module "node:async_hooks" {
  export class AsyncLocalStorage<T> {
    getStore(): T | undefined;
    run<R>(store: T, callback: () => R): R;
  }
}
