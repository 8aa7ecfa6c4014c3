/**
 * Compiled sessions by variant, built on first use. Growth invalidates them all at once (their shapes are
 * wrong); retired sessions are released at the next async point, so invalidation itself stays synchronous
 * and can run inside a worker's operation hook.
 */
import { compile, type Graph, type Runner } from './onnx/index.js';

export class GraphCache {
  private live = new Map<string, Promise<Runner>>();
  private retired: Promise<Runner>[] = [];

  /** The session for `key`, building its graph with `build` the first time. */
  get(key: string, build: () => Graph): Promise<Runner> {
    let c = this.live.get(key);
    if (!c) {
      c = compile(build());
      this.live.set(key, c);
    }
    return c;
  }

  /** Forget every session (the model changed shape); they are released by the next `releaseRetired`. */
  invalidate(): void {
    this.retired.push(...this.live.values());
    this.live.clear();
  }

  async releaseRetired(): Promise<void> {
    const old = this.retired;
    this.retired = [];
    await Promise.all(old.map(async (c) => (await c).release()));
  }

  async releaseAll(): Promise<void> {
    this.invalidate();
    await this.releaseRetired();
  }
}
