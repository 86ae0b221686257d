/** `npm run start:worker`: one job worker process (run as many as the machine allows). */
import { workerRole } from "./roles/worker-role";
import { runProcess } from "./run";

runProcess("worker", [workerRole]);
