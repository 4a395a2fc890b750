export { ArchiveCatalog, type RestorableRange, type RestorePlan } from './archive-catalog.ts';
export { ArchiveError, type ArchiveErrorCode } from './archive-error.ts';
export { Archiver, type ArchiverOptions, type ArchiveStatus } from './archiver.ts';
export type { BackupTarget, ObjectBody } from './backup-target.ts';
export { DirectoryTarget } from './directory-target.ts';
export { openTarget } from './open-target.ts';
export { restore, type RestoreOptions, type RestoreResult } from './restore.ts';
export { S3Target, type S3Location } from './s3-target.ts';
