/**
 * Compiled sessions by variant, built on first use. Growth invalidates them all at once (their shapes are
 * wrong); retired sessions are released at the next async point, so invalidation itself stays synchronous
 * and can run inside a worker's operation hook.
 */
import { compile, type Graph, type Runner } from './onnx/index.js';

export interface Compiled {
  readonly runner: Runner;
  readonly scalarNames: readonly string[];
}

export class GraphCache {
  private live = new Map<string, Promise<Compiled>>();
  private retired: Promise<Compiled>[] = [];

  /** The session for `key`, building its graph with `build` the first time. */
  get(key: string, build: () => { graph: Graph; scalarNames: readonly string[] }): Promise<Compiled> {
    let c = this.live.get(key);
    if (!c) {
      const { graph, scalarNames } = build();
      c = compile(graph).then((runner) => ({ runner, scalarNames }));
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
    await Promise.all(old.map(async (c) => (await c).runner.release()));
  }

  async releaseAll(): Promise<void> {
    this.invalidate();
    await this.releaseRetired();
  }
}
