// Copies an isolate keeps between requests for a limited time, at most `max`
// of them per scope. The scope is a binding object, so a different binding
// (another environment, a test's counting proxy) never shares copies. Maps
// iterate in insertion order: the first key is the least recently kept, and
// the first to go when the map is full.
export class IsolateCopies<T> {
  readonly #byScope = new WeakMap<object, Map<string, { value: T; until: number }>>();

  constructor(
    readonly ttlMs: number,
    readonly max: number,
  ) {}

  #of(scope: object) {
    let copies = this.#byScope.get(scope);
    if (!copies) this.#byScope.set(scope, (copies = new Map()));
    return copies;
  }

  get(scope: object, key: string, now: number): T | undefined {
    const copies = this.#of(scope);
    const copy = copies.get(key);
    if (!copy) return undefined;
    if (copy.until <= now) {
      copies.delete(key);
      return undefined;
    }
    return copy.value;
  }

  keep(scope: object, key: string, value: T, now: number) {
    const copies = this.#of(scope);
    copies.delete(key);
    if (copies.size >= this.max) copies.delete(copies.keys().next().value!);
    copies.set(key, { value, until: now + this.ttlMs });
  }

  /** Changes a copy this isolate holds without extending its time. */
  update(scope: object, key: string, change: (value: T) => T) {
    const copy = this.#of(scope).get(key);
    if (copy) copy.value = change(copy.value);
  }

  drop(scope: object, key: string) {
    this.#of(scope).delete(key);
  }
}
