/** Async helpers shared by tests. */

/** A promise and its resolve/reject functions, for waiting on an event. */
export function deferred<T = void>(): PromiseWithResolvers<T> {
  return Promise.withResolvers<T>();
}
