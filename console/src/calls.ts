import type { Call, Delivery } from '../../functions/core/model';

/** Reading call documents as the server writes them (functions/core/model.ts). */

export type { Call, Delivery };

/** How long a device's incoming push took to be accepted by its provider. */
export const ringMs = (call: Call, d: Delivery) =>
  d.status === 'accepted' && d.settledAt !== undefined ? d.settledAt - call.createdAt : undefined;

/** Who called: the name, else the number, as the PBX sent them (text, never HTML). */
export const callerOf = (call: Call) =>
  [call.fromName, call.from].filter((v): v is string => typeof v === 'string' && v !== '');

export const STATUS_LABEL: Record<Call['status'], string> = {
  ringing: 'ringing',
  accepted: 'accepted',
  declined: 'declined',
  missed: 'missed',
  cancelled: 'cancelled',
  no_devices: 'no devices',
  unknown_extension: 'unknown extension',
};
