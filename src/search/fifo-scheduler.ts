import type { Json } from '../util/json.js';
import type { ChooseContext, Choice, Decision, Scheduler } from './types.js';

/** Lets every trial run to its budget; a free slot always takes a new trial while the searcher has one. */
export class FifoScheduler implements Scheduler {
  onResult(): Decision {
    return 'continue';
  }
  chooseNext(ctx: ChooseContext): Choice {
    return ctx.searcherFinished ? null : 'new';
  }
  getState(): Json {
    return {};
  }
  setState(): void {}
}
