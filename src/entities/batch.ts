import { EntitySchema } from "typeorm";

/** Jobs submitted together: admitted by one check of their total, settled one by one. */
export interface Batch {
  id: string;
  userId: string;
  creditType: string;
  /** bigint as a string (pg): the sum of the jobs' holds. */
  creditsEstimated: string;
  /** The jobs in the order they were submitted. */
  jobIds: string[];
  createdAt: Date;
}

export const BatchEntity = new EntitySchema<Batch>({
  name: "Batch",
  tableName: "batches",
  columns: {
    id: { type: "uuid", primary: true },
    userId: { name: "user_id", type: "uuid" },
    creditType: { name: "credit_type", type: "text" },
    creditsEstimated: { name: "credits_estimated", type: "bigint" },
    jobIds: { name: "job_ids", type: "uuid", array: true },
    createdAt: { name: "created_at", type: "timestamptz", createDate: true },
  },
});
