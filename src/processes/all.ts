/**
 * `npm start` on one machine: API, worker and scheduler in one process, one
 * pool and one Redis connection set. For more throughput, run them apart
 * (ecosystem.config.js).
 */
import { apiRole } from "./roles/api-role";
import { schedulerRole } from "./roles/scheduler-role";
import { workerRole } from "./roles/worker-role";
import { runProcess } from "./run";

// Shutdown follows this order: stop taking requests, drain jobs, stop ticks.
runProcess("all", [apiRole, workerRole, schedulerRole]);
