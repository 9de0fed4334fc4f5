/** The seeds' keys and callwake's two, as every incoming-call push carries them, sorted. */
export const INCOMING_CALL_KEYS = [
  'call_id',
  'call_uuid',
  'caller_id',
  'caller_name',
  'caller_number',
  'expires_at',
  'extension',
  'sip_call_id',
  'tenant',
  'type',
];
