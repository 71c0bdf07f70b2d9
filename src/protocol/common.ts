import { z } from 'zod';

/** Client ids (examinees, supervisors) and exam ids: 1-64 of letters, digits, `_ . -`. */
export const ClientId = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 _ . -');
export const ExamId = ClientId;
export const ServerId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 _ -');

/** A client-chosen request id, 1-64 printable ASCII characters. */
export const RequestId = z
  .string()
  .regex(/^[\x21-\x7e]{1,64}$/, 'must be 1-64 printable ASCII characters');

export const Role = z.enum(['supervisor', 'examinee']);
export type Role = z.infer<typeof Role>;

export const ExamineeStatus = z.enum([
  'READY',
  'STARTED',
  'PAUSED',
  'RESUMED',
  'ENDED',
  'TERMINATED',
]);
export type ExamineeStatus = z.infer<typeof ExamineeStatus>;

export const Timestamp = z.iso.datetime({ offset: true });

export const Seq = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
