import type { Json } from '../util/json.js';
import type { Decision, Scheduler } from './types.js';

/** Lets every trial run to its budget. */
export class FifoScheduler implements Scheduler {
  onResult(): Decision {
    return 'continue';
  }
  getState(): Json {
    return {};
  }
  setState(): void {}
}
