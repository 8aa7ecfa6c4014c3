/**
 * A task binds a model to its data: what the data fixes about the sizes, and how a batch of training or
 * validation examples is written into the feed buffers the model's batch inputs take.
 */
import type { Rng } from '../../search/rng.js';
import type { BatchFeeds, ModelDef } from '../models/types.js';

export interface Task<S> {
  readonly model: ModelDef<S>;
  /** The user's sizes with the ones the data decides (input width, classes, vocabulary, context) set. */
  fixSizes(partial: Partial<S>): Partial<S>;
  readonly trainSize: number;
  readonly valSize: number;
  /** Validation examples per eval run (the last run is padded). */
  readonly evalBatch: number;
  /** Whether evaluation reports accuracy (classification) besides the loss. */
  readonly reportsAccuracy: boolean;
  /** Buffers for one batch of `batch` examples, keyed like the model's batch inputs. */
  allocate(sizes: S, batch: number): BatchFeeds;
  /** Training examples `idx` into `feeds`, augmented with draws from `rng` when `augment`. */
  fillTrain(idx: Uint32Array, feeds: BatchFeeds, rng: Rng, augment: boolean): void;
  /**
   * Validation examples [start, start + count) into `feeds`, the rest of the batch padded. Returns the
   * weight of each logits row: 1 for a real target, 0 for padding.
   */
  fillVal(start: number, count: number, feeds: BatchFeeds): Float32Array;
}
