export { CaptureError } from './capture-error.ts';
export { PageChecksumTable, type ChecksumPlan } from './page-checksum-table.ts';
export { WalCapture, type CaptureDatabase, type WalCaptureOptions } from './wal-capture.ts';
