import { EntitySchema } from "typeorm";

/** A stored file: uploaded by its owner or produced by one of the owner's jobs. */
export interface StoredFile {
  id: string;
  userId: string;
  name: string;
  contentType: string;
  /** bigint as a string (pg); see toInt. */
  sizeBytes: string;
  /** Hex sha256 of the content, computed while it was written. */
  sha256: string;
  /** Where the bytes live in blob storage. */
  storageKey: string;
  /** The job that produced it; null for uploads. */
  sourceJobId: string | null;
  createdAt: Date;
}

export const FileEntity = new EntitySchema<StoredFile>({
  name: "File",
  tableName: "files",
  columns: {
    id: { type: "uuid", primary: true },
    userId: { name: "user_id", type: "uuid" },
    name: { type: "text" },
    contentType: { name: "content_type", type: "text" },
    sizeBytes: { name: "size_bytes", type: "bigint" },
    sha256: { type: "text" },
    storageKey: { name: "storage_key", type: "text" },
    sourceJobId: { name: "source_job_id", type: "uuid", nullable: true },
    createdAt: { name: "created_at", type: "timestamptz", createDate: true },
  },
});
