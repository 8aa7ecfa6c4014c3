import type { Orchestrator } from '../orchestrator/orchestrator.js';
import type { ControlRequest } from '../session/requests.js';
import type { SessionState } from '../session/state.js';

const OPEN = ['pending', 'paused', 'waiting', 'running'];

/**
 * What is wrong with a request for this session, one line per trial, or [] when it can be carried out:
 * the trials must exist, and be open (a trial that ended cannot be paused, continued or stopped).
 */
export function requestProblems(state: SessionState, r: ControlRequest): string[] {
  const problems: string[] = [];
  if (r.verb !== 'pause' && r.trials.length === 0) problems.push(`tune ${r.verb} needs the trials to ${r.verb}, e.g. tune ${r.verb} DIR 0003`);
  for (const id of r.trials) {
    const t = state.trials.find((x) => x.id === id);
    if (!t) problems.push(`trial ${id}: the session has no such trial (it has ${state.trials.length ? `${state.trials[0].id}…${state.trials[state.trials.length - 1].id}` : 'none yet'})`);
    else if (!OPEN.includes(t.status)) problems.push(`trial ${id} is ${t.status}; only a trial that has not ended can be ${r.verb === 'stop' ? 'stopped' : r.verb === 'pause' ? 'paused' : 'continued'}`);
    else if (r.verb === 'continue' && !t.held) problems.push(`trial ${id} is not paused on its own; tune continue lets go a trial paused with tune pause DIR ${id} (or space in the view)`);
  }
  return problems;
}

/** Carries out a checked request; returns what was done, in words (for the journal and the terminal). */
export function applyRequest(o: Orchestrator, r: ControlRequest): string {
  const problems = requestProblems(o.state, r);
  if (problems.length) return `refused: ${problems.join('; ')}`;
  switch (r.verb) {
    case 'pause':
      if (r.trials.length === 0) {
        o.requestPause('tune pause from another terminal');
        return 'the session pauses at the next validation boundary';
      }
      for (const id of r.trials) o.pauseTrial(id);
      return `trial${r.trials.length === 1 ? '' : 's'} ${r.trials.join(', ')} paused at ${r.trials.length === 1 ? 'its' : 'their'} next validation boundary, until tune continue`;
    case 'continue':
      for (const id of r.trials) o.releaseTrial(id);
      return `trial${r.trials.length === 1 ? '' : 's'} ${r.trials.join(', ')} may run again`;
    case 'stop':
      for (const id of r.trials) o.stopTrial(id);
      return `trial${r.trials.length === 1 ? '' : 's'} ${r.trials.join(', ')} stopped for good`;
  }
}
