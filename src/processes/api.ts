/** `npm run start:api`: the HTTP API alone (PM2 runs it in cluster mode). */
import { apiRole } from "./roles/api-role";
import { runProcess } from "./run";

runProcess("api", [apiRole]);
