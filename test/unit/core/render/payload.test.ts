import assert from 'node:assert/strict';
import {
  callCancelledPayload,
  incomingCallPayload,
  UNKNOWN_CALLER,
} from '../../../../functions/core/render/payload';
import { anonymousCall, NOW, payloadCallFields, ringingCall } from '../fixtures';

describe('incomingCallPayload', () => {
  it('carries exactly the keys apps read, all as strings', () => {
    const call = ringingCall();
    assert.deepEqual(incomingCallPayload(call), {
      type: 'incoming_call',
      ...payloadCallFields(call),
      expires_at: String(NOW + 30_000),
    });
  });

  it('names the caller by number when there is no name', () => {
    const call = ringingCall();
    delete call.fromName;
    const payload = incomingCallPayload(call);
    assert.equal(payload.caller_name, '+3225550100');
  });

  it(`calls an anonymous caller "${UNKNOWN_CALLER}" with empty number fields`, () => {
    const call = anonymousCall();
    const payload = incomingCallPayload(call);
    assert.equal(payload.caller_name, 'Unknown');
    assert.equal(payload.caller_id, '');
    assert.equal(payload.caller_number, '');
  });
});

describe('callCancelledPayload', () => {
  it("carries the call's keys and the reason, without the ring deadline", () => {
    const call = ringingCall();
    assert.deepEqual(callCancelledPayload(call, 'answered_elsewhere'), {
      type: 'call_cancelled',
      ...payloadCallFields(call),
      reason: 'answered_elsewhere',
    });
  });

  it('names the caller as the incoming-call payload does', () => {
    const call = anonymousCall();
    const incoming = incomingCallPayload(call);
    const cancelled = callCancelledPayload(call, 'timeout');
    const shared = [
      'call_id',
      'call_uuid',
      'caller_id',
      'caller_number',
      'caller_name',
      'extension',
      'sip_call_id',
      'tenant',
    ] as const;
    for (const key of shared) assert.equal(cancelled[key], incoming[key], key);
    assert.equal(cancelled.caller_name, UNKNOWN_CALLER);
    assert.equal('expires_at' in cancelled, false);
  });
});
