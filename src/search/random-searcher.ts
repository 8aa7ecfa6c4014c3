import type { Json } from '../util/json.js';
import { Rng, type RngState } from './rng.js';
import { sampleConfig, type Config, type SearchSpace } from './space.js';
import type { Searcher } from './types.js';

/** Independent draws from the space, `numTrials` of them, from one saved RNG stream. */
export class RandomSearcher implements Searcher {
  private rng: Rng;
  private suggested = 0;

  constructor(private readonly space: SearchSpace, private readonly numTrials: number, seed: number) {
    this.rng = new Rng(seed);
  }

  suggest(): Config | 'finished' {
    if (this.suggested >= this.numTrials) return 'finished';
    this.suggested++;
    return sampleConfig(this.space, this.rng);
  }

  getState(): Json {
    return { rng: this.rng.getState(), suggested: this.suggested };
  }

  setState(state: Json): void {
    const s = state as { rng: RngState; suggested: number };
    if (!s || !Array.isArray(s.rng) || s.rng.length !== 4 || !s.rng.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32) || s.rng.every((w) => w === 0)) {
      throw new Error('random searcher state needs rng: four 32-bit words, not all zero');
    }
    if (!Number.isInteger(s.suggested) || s.suggested < 0) throw new Error('random searcher state needs suggested: a whole number');
    this.rng = new Rng(s.rng);
    this.suggested = s.suggested;
  }
}
