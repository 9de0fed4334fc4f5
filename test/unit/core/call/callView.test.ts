import assert from 'node:assert/strict';
import { callView } from '../../../../functions/core/call/callView';
import { delivery, NOW, ringingCall } from '../fixtures';

describe('callView', () => {
  const iso = (ms: number) => new Date(ms).toISOString();

  it('shows a ringing call with only the keys that apply, times as ISO 8601', () => {
    const call = ringingCall();
    assert.deepEqual(callView(call, false), {
      status: 'ringing',
      call_id: call.callId,
      call_uuid: call.callUuid,
      extension: '100',
      devices: 1,
      pushed: 0,
      expires_at: iso(NOW + 30_000),
    });
  });

  it('names who answered and why the call ended', () => {
    const call = ringingCall({ status: 'accepted', answeredBy: 'pixel-8', endReason: 'answered' });
    const view = callView(call, false);
    assert.equal(view.answered_by, 'pixel-8');
    assert.equal(view.end_reason, 'answered');
  });

  it('leaves the timeline out unless asked for', () => {
    const call = ringingCall({
      deliveries: { 'pixel-8': delivery('pending', { attempts: 0 }) },
    });
    assert.equal('timeline' in callView(call, false), false);
    assert.equal(callView(call, true).timeline?.length, 1);
  });

  it('draws each device’s lane, sorted by device id, with its cancel', () => {
    const call = ringingCall({
      devices: 2,
      pushed: 2,
      deliveries: {
        'pixel-8': delivery('accepted', {
          attempts: 2,
          providerStatus: 200,
          pushedAt: NOW + 10,
          settledAt: NOW + 60,
          deliveredAt: NOW + 400,
          answer: 'decline',
          answeredAt: NOW + 5_000,
          late: true,
        }),
        'iphone-15': {
          ...delivery('dead_token', { providerStatus: 410, reason: 'Unregistered' }),
          platform: 'ios',
          provider: 'apns',
          kind: 'voip',
        },
      },
      cancels: {
        'pixel-8': {
          status: 'accepted',
          attempts: 1,
          pushedAt: NOW + 5_010,
          settledAt: NOW + 5_050,
        },
      },
    });
    assert.deepEqual(callView(call, true).timeline, [
      {
        device_id: 'iphone-15',
        platform: 'ios',
        provider: 'apns',
        kind: 'voip',
        push_status: 'dead_token',
        attempts: 1,
        provider_status: 410,
        reason: 'Unregistered',
        pushed_at: iso(NOW),
      },
      {
        device_id: 'pixel-8',
        platform: 'android',
        provider: 'fcm',
        kind: 'data',
        push_status: 'accepted',
        attempts: 2,
        provider_status: 200,
        pushed_at: iso(NOW + 10),
        provider_answered_at: iso(NOW + 60),
        delivered_at: iso(NOW + 400),
        answer: 'decline',
        answered_at: iso(NOW + 5_000),
        late: true,
        cancel_status: 'accepted',
      },
    ]);
  });
});
