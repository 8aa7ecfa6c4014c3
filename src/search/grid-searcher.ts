import type { Json } from '../util/json.js';
import { gridPoint, gridSize, type Config, type SearchSpace } from './space.js';
import type { Searcher } from './types.js';

/** Every point of the cartesian product of the enumerable dimensions, in order, `numTrials` at most. */
export class GridSearcher implements Searcher {
  private next = 0;
  private readonly total: number;

  constructor(private readonly space: SearchSpace, numTrials?: number) {
    const size = gridSize(space);
    this.total = numTrials === undefined ? size : Math.min(numTrials, size);
  }

  suggest(): Config | 'finished' {
    if (this.next >= this.total) return 'finished';
    return gridPoint(this.space, this.next++);
  }

  getState(): Json {
    return { next: this.next };
  }

  setState(state: Json): void {
    const next = (state as { next?: unknown } | null)?.next;
    if (typeof next !== 'number' || !Number.isInteger(next) || next < 0) throw new Error('grid searcher state needs next: a whole number');
    this.next = next;
  }
}
