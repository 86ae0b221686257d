/** `npm run start:scheduler`: the scheduler; exactly one per deployment. */
import { schedulerRole } from "./roles/scheduler-role";
import { runProcess } from "./run";

runProcess("scheduler", [schedulerRole]);
