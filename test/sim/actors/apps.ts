import type { SimCall, World } from '../world';
import { callApi } from './api';

/**
 * The apps: once its phone rings for the call, an app accepts or declines, through a
 * Firestore write (the rules allow it only while the call rings and before its deadline; the
 * onAnswerWritten trigger settles it) or through the HTTPS answer route (sent again after a 503
 * or a 429 busy).
 */
export function apps(world: World, call: SimCall): Promise<void>[] {
  const { clock } = world;
  return call.spec.answers.map(async (spec) => {
    const phone = world.phones[spec.phone % world.phones.length];
    if (!phone) return;
    await world.phoneRang(phone.index, call.callUuid);
    await clock.sleep(spec.after);
    const record = {
      callUuid: call.callUuid,
      phone: phone.index,
      action: spec.action,
      via: spec.via,
      at: clock.now(),
    };
    if (spec.via === 'firestore') {
      const stored = await world.peekCall(call.callUuid);
      if (stored?.status === 'ringing' && clock.now() < stored.expiresAt) {
        await world.clientAnswer(call, phone, spec.action);
        world.appAnswers.push(record);
        return;
      }
    }
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const reply = await callApi(
        world,
        'app_answer',
        call.callUuid,
        {
          method: 'POST',
          path: `/v1/app/calls/${encodeURIComponent(call.callId)}/answer`,
          headers: {
            authorization: `Bearer ${phone.idToken}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({ device_id: phone.deviceId, action: spec.action }),
        },
        10_000,
      );
      // A 503 or a 429 busy asks for the same answer again (docs/api.md).
      if (reply.httpStatus !== null && reply.httpStatus < 500 && reply.httpStatus !== 429) {
        world.appAnswers.push({
          ...record,
          via: 'https',
          httpStatus: reply.httpStatus,
          ...(typeof reply.body.outcome === 'string' ? { outcome: reply.body.outcome } : {}),
        });
        return;
      }
      await clock.sleep(500);
    }
  });
}
