/** One operation of a scaling schedule, as written in a schedule file (DESIGN §6). */
export interface Operation {
  name: string;
  value: number;
  trigger_loss: number | null;
  max_wait_iters: number | null;
  desc: string;
  reevaluate: boolean;
  completed: boolean;
}

/** Where a trial is in its schedule; it travels with every checkpoint. */
export interface ScheduleState {
  completed: boolean[];
  /** The iteration at which the last operation fired (0 before any). */
  lastFire: number;
  /** Every firing, in order: what the UI's detail view and the schedule file show. */
  fired: { index: number; iteration: number; loss: number | null }[];
}

export function initialScheduleState(ops: readonly Operation[]): ScheduleState {
  return { completed: ops.map((o) => o.completed), lastFire: 0, fired: [] };
}
