/**
 * Which training examples come next: a permutation reshuffled from the trainer's RNG at the start of every
 * epoch, and a cursor into it. Saved whole in checkpoints, so a resumed run sees the same examples.
 */
import type { Rng } from '../search/rng.js';

export class DataOrder {
  private out = new Uint32Array(0);

  constructor(
    readonly perm: Uint32Array,
    public cursor: number,
    public epoch: number,
  ) {}

  /** The identity order over n examples, shuffled: epoch 0. */
  static fresh(n: number, rng: Rng): DataOrder {
    const perm = Uint32Array.from({ length: n }, (_, i) => i);
    rng.shuffle(perm);
    return new DataOrder(perm, 0, 0);
  }

  /** The next `count` example indices; the returned array is reused by the next call. */
  next(count: number, rng: Rng): Uint32Array {
    if (this.out.length !== count) this.out = new Uint32Array(count);
    for (let i = 0; i < count; i++) {
      if (this.cursor === this.perm.length) {
        rng.shuffle(this.perm);
        this.cursor = 0;
        this.epoch++;
      }
      this.out[i] = this.perm[this.cursor++];
    }
    return this.out;
  }
}
